/**
 * Sums the self time of each function in a V8 .cpuprofile (as written by `node --cpu-prof`), and of each
 * package or source directory, so the hot path of a scenario reads as a short table.
 *
 * Standalone: `node dist/bench/profileSummary.js <file.cpuprofile> [top]`.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface HotEntry {
  name: string;
  selfMs: number;
  /** Share of the busy time: every sample but "(idle)". */
  percent: number;
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  /** False when the window start could not be placed in the profile, so start-up is included too. */
  windowApplied: boolean;
  functions: HotEntry[];
  groups: HotEntry[];
}

const IDLE = '(idle)';

function shortUrl(url: string): string {
  if (url === '') return '';
  const path = url.replace(/^file:\/\//, '');
  const nodeModules = path.lastIndexOf('/node_modules/');
  if (nodeModules >= 0) return path.slice(nodeModules + '/node_modules/'.length);
  const dist = path.lastIndexOf('/dist/');
  if (dist >= 0) return path.slice(dist + '/dist/'.length);
  return path;
}

/** Where a function lives: an npm package, a directory of our own code, Node's internals, or V8 itself. */
function groupOf(frame: CallFrame): string {
  const url = frame.url;
  if (url === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] === 'internal' ? url.slice(5).split('/').slice(0, 2).join('/') : url.slice(5)}`;
  const path = url.replace(/^file:\/\//, '');
  const nodeModules = path.lastIndexOf('/node_modules/');
  if (nodeModules >= 0) {
    const parts = path.slice(nodeModules + '/node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const dist = path.lastIndexOf('/dist/');
  const own = dist >= 0 ? path.slice(dist + '/dist/'.length) : path;
  return own.split('/').slice(0, -1).join('/') || own;
}

function top(totals: Map<string, number>, busyUs: number, count: number): HotEntry[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, selfMs: us / 1000, percent: busyUs === 0 ? 0 : (100 * us) / busyUs }));
}

/** @param fromUs samples before this time (process.hrtime, µs; the clock V8 stamps profiles with) are left out. */
export function summariseProfile(file: string, count = 15, fromUs?: number): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map<number, CallFrame>();
  for (const node of profile.nodes) frames.set(node.id, node.callFrame);

  const windowApplied = fromUs !== undefined && fromUs >= profile.startTime && fromUs <= profile.endTime;
  const byFunction = new Map<string, number>();
  const byGroup = new Map<string, number>();
  let busyUs = 0;
  let idleUs = 0;
  let timestamp = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    timestamp += profile.timeDeltas[i];
    // A sample's time is the gap to the next one (the last sample gets the previous gap).
    const weight = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1] : profile.timeDeltas[i];
    if (windowApplied && timestamp < (fromUs as number)) continue;
    const frame = frames.get(profile.samples[i]) as CallFrame;
    if (frame.functionName === IDLE) {
      idleUs += weight;
      continue;
    }
    busyUs += weight;
    const where = shortUrl(frame.url);
    const name = `${frame.functionName || '(anonymous)'}${where === '' ? '' : ` ${where}:${frame.lineNumber + 1}`}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + weight);
    const group = groupOf(frame);
    byGroup.set(group, (byGroup.get(group) ?? 0) + weight);
  }
  return { busyMs: busyUs / 1000, idleMs: idleUs / 1000, windowApplied, functions: top(byFunction, busyUs, count), groups: top(byGroup, busyUs, 10) };
}

export function formatSummary(summary: ProfileSummary): string {
  const lines = [
    `busy ${(summary.busyMs / 1000).toFixed(1)} s, idle ${(summary.idleMs / 1000).toFixed(1)} s${summary.windowApplied ? '' : ' (start-up included)'}`,
    '',
    '| self % | self ms | function |',
    '|---:|---:|---|',
    ...summary.functions.map((entry) => `| ${entry.percent.toFixed(1)} | ${entry.selfMs.toFixed(0)} | \`${entry.name}\` |`),
    '',
    '| self % | where |',
    '|---:|---|',
    ...summary.groups.map((entry) => `| ${entry.percent.toFixed(1)} | \`${entry.name}\` |`),
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: profileSummary.js <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatSummary(summariseProfile(file, Number(process.argv[3] ?? 20)))}\n`);
}
