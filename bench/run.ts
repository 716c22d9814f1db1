/**
 * `npm run bench`: the presence service against baselines serving the same bytes (a bare Express app and a bare
 * node:http server for polls), scenario by scenario, on this machine, over 127.0.0.1 only. See docs/benchmarks.md.
 *
 * Settings (environment):
 *   BENCH_USERS=10000        users seeded (half online) for the poll scenarios but 5 and `small`
 *   BENCH_USERS_LARGE=100000 users seeded for scenario 5
 *   BENCH_SECONDS=10         length of one measured run
 *   BENCH_CONNECTIONS=50     concurrent keep-alive connections
 *   BENCH_ROUNDS=2           measured runs per target and scenario, interleaved service/Express/node:http
 *   BENCH_WARMUP_SECONDS=2   unmeasured run per target before the measured ones
 *   BENCH_SCENARIOS=1,ids,S  only these scenarios (default: all)
 *   BENCH_STREAMS=10000      scenario S: open streams, each watching BENCH_STREAM_WATCHED=100 users, while
 *                            BENCH_STREAM_CHANGES=200 changes a second are made for BENCH_STREAM_SECONDS=10 s
 *   BENCH_PROFILE=1|missed   after a scenario's measured runs (every scenario, or those that missed their target),
 *                            one more run against a fresh service under `node --cpu-prof` (bench-profiles/), not
 *                            counted in the table, summarised by self time
 *   BENCH_DOC=0|1            write docs/benchmarks.md: 1 always, 0 never, default only when every scenario ran
 *
 * The files: settings (the environment), pollScenarios and loadDriver (what a poll scenario requests and the
 * autocannon runs), probe, services and children (the processes), pollRun (one poll scenario end to end),
 * streamScenario and streamReport (the stream scenarios), report (verdicts and Markdown).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { POLL_SCENARIOS } from './pollScenarios';
import { log, profileScenario, runScenario, type ScenarioResult } from './pollRun';
import { formatSummary, summariseProfile, type ProfileSummary } from './profileSummary';
import { machine, pollReport, verdict, writeDoc } from './report';
import { profileFileOf, startService } from './services';
import { intEnv, scenarioBudgetMs, selectedScenarioNames, settings } from './settings';
import { streamSection } from './streamReport';
import { runStreamScenario, type StreamResult, type StreamSettings } from './streamScenario';

const STREAM_SCENARIO = 'S';

const streamSettings: StreamSettings = {
  streams: intEnv('BENCH_STREAMS', 10_000),
  watched: intEnv('BENCH_STREAM_WATCHED', 100),
  changesPerSecond: intEnv('BENCH_STREAM_CHANGES', 200),
  seconds: intEnv('BENCH_STREAM_SECONDS', 10),
};

/** Scenario S, on a service under --cpu-prof when BENCH_PROFILE is set (profiled from when the streams are open). */
async function runStream(): Promise<{ result: StreamResult; profile?: ProfileSummary }> {
  const needs = { name: STREAM_SCENARIO, users: settings.users, tokens: settings.users, changeEveryMs: 0 };
  const profiled = settings.profile !== 'off';
  const service = await startService(needs, profiled);
  let result: StreamResult;
  try {
    log(`(S) ${streamSettings.streams} streams × ${streamSettings.watched} users, ${streamSettings.changesPerSecond} changes/s for ${streamSettings.seconds} s`);
    result = await runStreamScenario(service.child, service.ready, streamSettings);
  } finally {
    await service.child.stop(60_000);
  }
  const file = profileFileOf(needs);
  if (!profiled || !existsSync(file)) return { result };
  return { result, profile: summariseProfile(file, 15, result.changesStartedAtUs) };
}

async function main(): Promise<void> {
  const known = [...POLL_SCENARIOS.map((scenario) => scenario.name), STREAM_SCENARIO];
  const names = selectedScenarioNames(known);
  const scenarios = POLL_SCENARIOS.filter((scenario) => names.includes(scenario.name));
  const stream = names.includes(STREAM_SCENARIO);
  const started = new Date();
  const loadBefore = os.loadavg();
  // Read now: what is measured is what was built at the start, whatever is committed during the run.
  const machineLines = machine();
  const budget = (scenarios.length + (stream ? 1 : 0)) * scenarioBudgetMs() + 60_000;
  setTimeout(() => {
    process.stderr.write(`bench: not done after ${Math.round(budget / 1000)} s; giving up\n`);
    process.exit(1);
  }, budget).unref();

  log(`presence bench: ${names.join(', ')}; ${settings.connections} connections, ${settings.seconds} s × ${settings.rounds} rounds per target${settings.profile === 'off' ? '' : `, profiling ${settings.profile === 'all' ? 'every scenario' : 'the scenarios that miss'}`}`);
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    const result = await runScenario(scenario);
    results.push(result);
    const missed = verdict(result, results).pass === false;
    if (settings.profile === 'all' || (settings.profile === 'missed' && missed)) result.profile = await profileScenario(scenario);
  }

  const streamRun = stream ? await runStream() : undefined;
  const streamProfile = streamRun?.profile === undefined ? '' : `\n#### (S) service CPU profile, from the first change on\n\n${formatSummary(streamRun.profile)}\n`;
  const run = { started, machineLines, loadBefore, loadAfter: os.loadavg() };
  const section = pollReport(results, run) + (streamRun === undefined ? '' : `\n${streamSection(streamRun.result, streamSettings)}${streamProfile}`);
  log(`\n${section}`);
  const docSetting = process.env.BENCH_DOC;
  if (docSetting === '1' || (docSetting !== '0' && names.length === known.length)) {
    log(`\nwritten to ${path.relative(process.cwd(), writeDoc(section))}`);
  } else {
    log('\n(docs/benchmarks.md not written: not every scenario ran; BENCH_DOC=1 writes it anyway)');
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
