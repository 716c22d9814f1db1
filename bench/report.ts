/** The poll scenarios' verdicts, and the Markdown of a run that bench/run.ts prints and writes to docs/benchmarks.md. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Aggregate } from './loadDriver';
import type { ScenarioResult } from './pollRun';
import { readOpenFileLimit } from '../src/config/openFileLimit';
import { formatSummary, type ProfileSummary } from './profileSummary';
import { ROOT } from './services';
import { settings } from './settings';

const DOC = path.join(ROOT, 'docs', 'benchmarks.md');
const MB = 1024 * 1024;
const RSS_TARGET_MB = 300;

export interface Verdict {
  ratio: number | undefined;
  target: string;
  pass: boolean | undefined;
  shortBy: string;
}

export function verdict(result: ScenarioResult, all: ScenarioResult[]): Verdict {
  const { target } = result.scenario;
  const vsExpress = result.service.rps / result.express.rps;
  if (!result.service.valid || !result.express.valid) return { ratio: undefined, target: '', pass: false, shortBy: 'run invalid' };
  if (target.kind === 'express') {
    const pass = vsExpress >= target.ratio;
    const needRps = target.ratio * result.express.rps;
    return {
      ratio: vsExpress,
      target: `≥ ${target.ratio} × Express`,
      pass,
      shortBy: pass ? '' : `${(((target.ratio - vsExpress) / target.ratio) * 100).toFixed(0)}% short: ${result.service.rps.toFixed(0)} req/s, needs ${needRps.toFixed(0)} (+${(needRps / result.service.rps - 1).toLocaleString('en', { style: 'percent' })})`,
    };
  }
  const reference = all.find((other) => other.scenario.name === target.to);
  if (reference === undefined) return { ratio: undefined, target: `≥ ${target.ratio} × (${target.to})`, pass: undefined, shortBy: `needs scenario ${target.to} in the same run` };
  // Compared through each one's Express ratio, so drift between the two scenarios' runs cancels out.
  const ratio = vsExpress / (reference.service.rps / reference.express.rps);
  const raw = result.service.rps / reference.service.rps;
  const pass = ratio >= target.ratio;
  const detail = `through the Express ratios; raw req/s ratio ${raw.toFixed(2)}`;
  return {
    ratio,
    target: `≥ ${target.ratio} × (${target.to})`,
    pass,
    shortBy: pass ? `(${detail})` : `${(((target.ratio - ratio) / target.ratio) * 100).toFixed(0)}% short of ${target.ratio} × (${target.to}) (${detail})`,
  };
}

const fmtRps = (rps: number) => Math.round(rps).toLocaleString('en');
const fmtMs = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(2) : '–');
const fmtRatio = (ratio: number) => ratio.toFixed(2);
export const mark = (pass: boolean | undefined) => (pass === undefined ? 'n/a' : pass ? 'PASS' : 'MISS');

function resultTable(results: ScenarioResult[]): string {
  const lines = [
    '| # | scenario | req/s | p50 ms | p99 ms | × Express | × node:http | target | result |',
    '|---|---|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const result of results) {
    const v = verdict(result, results);
    const targetCell = result.scenario.target.kind === 'relative' && v.ratio !== undefined ? `${v.target} (${fmtRatio(v.ratio)})` : v.target;
    lines.push(
      `| ${result.scenario.name} | ${result.scenario.title} | ${fmtRps(result.service.rps)} | ${fmtMs(result.service.p50)} | ${fmtMs(result.service.p99)} | ${fmtRatio(result.service.rps / result.express.rps)} | ${fmtRatio(result.service.rps / result.nodeHttp.rps)} | ${targetCell} | ${mark(v.pass)}${v.shortBy === '' ? '' : v.pass === true ? ` ${v.shortBy}` : `: ${v.shortBy}`} |`,
    );
  }
  return lines.join('\n');
}

function baselineTable(results: ScenarioResult[]): string {
  const lines = [
    '| # | answer | service B/resp (headers) | Express req/s | Express p50 / p99 ms | node:http req/s | node:http p50 / p99 ms | service req/s by round | Express by round | node:http by round |',
    '|---|---|---:|---:|---:|---:|---:|---|---|---|',
  ];
  const rounds = (aggregate: Aggregate) => aggregate.roundsRps.map(fmtRps).join(' / ');
  for (const r of results) {
    lines.push(
      `| ${r.scenario.name} | ${r.note} | ${r.service.bytesPerResponse.toFixed(0)} (${r.headerBytes}) | ${fmtRps(r.express.rps)} | ${fmtMs(r.express.p50)} / ${fmtMs(r.express.p99)} | ${fmtRps(r.nodeHttp.rps)} | ${fmtMs(r.nodeHttp.p50)} / ${fmtMs(r.nodeHttp.p99)} | ${rounds(r.service)} | ${rounds(r.express)} | ${rounds(r.nodeHttp)} |`,
    );
  }
  return lines.join('\n');
}

function rssVerdict(bytes: number): string {
  const mb = bytes / MB;
  return mb <= RSS_TARGET_MB ? 'PASS' : `MISS by ${(mb - RSS_TARGET_MB).toFixed(0)} MB`;
}

function memoryLines(results: ScenarioResult[]): string[] {
  const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;
  return results.map((r) => {
    const { memory, seeded } = r;
    const large = r.scenario.users >= 100_000;
    return [
      `- (${r.scenario.name}) ${r.scenario.users.toLocaleString('en')} users: RSS **${mb(seeded.rssAfterSeed)}** after seeding and a full GC (heap ${mb(seeded.heapUsedAfterSeed)})${large ? ` — target ≤ ${RSS_TARGET_MB} MB: ${rssVerdict(seeded.rssAfterSeed)}` : ''};`,
      `peak **${mb(memory.peakRss)}** under load${large ? ` (${rssVerdict(memory.peakRss)})` : ''};`,
      `at the end of the runs RSS ${mb(memory.rss)}, heap ${mb(memory.heapUsed)} used of ${mb(memory.heapTotal)}, external ${mb(memory.external)}; after a full GC heap ${mb(memory.heapUsedAfterGc)}, RSS ${mb(memory.rssAfterGc)}`,
    ].join(' ');
  });
}

/** The machine and the code measured, read at the start: what is measured is what was built then. */
export function machine(): string[] {
  const cpus = os.cpus();
  const versionOf = (pkg: string) => {
    try {
      return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return '?';
    }
  };
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', timeout: 5000 }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8', timeout: 5000 }).trim() !== '';
    if (dirty) commit += ' (src/ has uncommitted changes)';
  } catch {
    commit = 'unknown';
  }
  return [
    `- CPU: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} logical cores (load generator, service and baselines all share them)`,
    `- RAM: ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB; OS: ${os.type()} ${os.release()} ${os.arch()}; open-file limit ${readOpenFileLimit() ?? 'unknown'}`,
    `- Node ${process.version}, Express ${versionOf('express')}, autocannon ${versionOf('autocannon')}; commit ${commit}`,
  ];
}

export interface RunInfo {
  started: Date;
  machineLines: string[];
  loadBefore: number[];
  loadAfter: number[];
}

/** The header of a run, then the poll scenarios' tables, memory, missed targets and profiles. */
export function pollReport(results: ScenarioResult[], run: RunInfo): string {
  const settingsLine = `${settings.connections} connections, ${settings.seconds} s per run, ${settings.rounds} measured run${settings.rounds === 1 ? '' : 's'} per target (interleaved), ${settings.warmupSeconds} s warm-up per target; ${settings.users.toLocaleString('en')} users seeded (${settings.largeUsers.toLocaleString('en')} for scenario 5, 400 for \`small\`)`;
  const lines = [
    `Run of ${run.started.toISOString().replace(/\.\d+Z$/, 'Z')}, \`npm run bench\`.`,
    '',
    ...run.machineLines,
    `- Load average (1, 5, 15 min) before: ${run.loadBefore.map((n) => n.toFixed(2)).join(', ')}; after: ${run.loadAfter.map((n) => n.toFixed(2)).join(', ')}`,
    `- Poll settings: ${settingsLine}`,
    '',
  ];
  if (results.length === 0) return lines.join('\n');
  const missed = results.map((r) => ({ r, v: verdict(r, results) })).filter(({ v }) => v.pass === false);
  lines.push(
    resultTable(results),
    '',
    ...results
      .filter((r) => r.scenario.users >= 100_000)
      .map((r) => `**RSS with ${r.scenario.users.toLocaleString('en')} users** (target ≤ ${RSS_TARGET_MB} MB): ${(r.seeded.rssAfterSeed / MB).toFixed(0)} MB after seeding and a full GC, ${rssVerdict(r.seeded.rssAfterSeed)}; ${(r.memory.peakRss / MB).toFixed(0)} MB at the peak under load, ${rssVerdict(r.memory.peakRss)}.\n`),
    'req/s is all measured requests over all measured seconds; p50 and p99 are the mean of the rounds\' percentiles; the ratios divide the service\'s req/s by the baseline\'s, measured in the same scenario, with the same requests and the same body bytes.',
    '',
    '### Memory',
    '',
    ...memoryLines(results),
    '',
    '### Baselines and rounds',
    '',
    baselineTable(results),
    '',
  );
  const problems = results.flatMap((r) => [...r.service.problems, ...r.express.problems, ...r.nodeHttp.problems].map((p) => `- (${r.scenario.name}) ${p}`));
  if (problems.length > 0) lines.push('### Invalid runs', '', ...problems, '');
  if (missed.length > 0) lines.push('### Missed targets', '', ...missed.map(({ r, v }) => `- (${r.scenario.name}) ${r.scenario.title}: ${v.shortBy}`), '');
  const profiled = results.filter((r) => r.profile !== undefined);
  if (profiled.length > 0) {
    lines.push(
      '### Service CPU profiles',
      '',
      'Self time by function and by package, from one extra run per scenario against a fresh service under `node --cpu-prof` (1 ms sampling; that run is not in the table above). "Busy" is the time the service\'s main thread was not idle.',
      '',
    );
    for (const r of profiled) lines.push(`#### (${r.scenario.name}) ${r.scenario.title}`, '', formatSummary(r.profile as ProfileSummary), '');
  }
  return lines.join('\n');
}

const START = '<!-- bench:results:start (written by `npm run bench`; edit outside these markers) -->';
const END = '<!-- bench:results:end -->';

export function writeDoc(section: string): string {
  const block = `${START}\n${section.trim()}\n${END}`;
  let doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Benchmarks\n\n## Latest results\n\n';
  const start = doc.indexOf(START.slice(0, 30));
  const end = doc.indexOf(END);
  if (start >= 0 && end > start) doc = doc.slice(0, start) + block + doc.slice(end + END.length);
  else doc = `${doc.trimEnd()}\n\n${block}\n`;
  mkdirSync(path.dirname(DOC), { recursive: true });
  writeFileSync(DOC, doc);
  return DOC;
}
