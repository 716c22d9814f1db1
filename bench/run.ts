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
 *   BENCH_SCENARIOS=1,ids,S  only these scenarios (default: all): polls 1 to 6, ids, small; streams S (and its
 *                            floor), overload, files, snapshot; truth (time to truth, bench/timeToTruth.ts);
 *                            loginFlood (polls beside a failed-login flood, bench/loginFlood.ts)
 *   BENCH_STREAMS=10000      scenarios S and overload: open streams, each watching BENCH_STREAM_WATCHED=100 users,
 *                            while BENCH_STREAM_CHANGES=200 changes a second (five times that for overload) are
 *                            made for BENCH_STREAM_SECONDS=10 s
 *   BENCH_PROFILE=1|missed   after a scenario's measured runs (every scenario, or those that missed their target),
 *                            one more run against a fresh service under `node --cpu-prof` (bench-profiles/), not
 *                            counted in the table, summarised by self time
 *   BENCH_DOC=0|1            write docs/benchmarks.md: 1 always, 0 never, default only when every scenario ran
 *
 * The files: settings (the environment); pollScenarios, probe, loadDriver and pollRun (what a poll scenario
 * requests, its checked answer, the autocannon runs, one scenario end to end); services, children, baselines,
 * floor, serviceProcess and childMemory (the processes); streamClients, streamScenarios, streamLimits and
 * streamMetrics (the stream scenarios); report and streamReport (verdicts and Markdown).
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { POLL_SCENARIOS } from './pollScenarios';
import { log, profileScenario, runScenario, type ScenarioResult } from './pollRun';
import { summariseProfile } from './profileSummary';
import { machine, pollReport, verdict, writeDoc } from './report';
import { profileFileOf } from './services';
import { scenarioBudgetMs, selectedScenarioNames, settings } from './settings';
import { runFiles, runSnapshot } from './streamLimits';
import { streamReport, streamVerdicts, type StreamRun } from './streamReport';
import { overloadSettings, runFloorLoad, runServiceLoad, sSettings, type LoadResult } from './streamScenarios';
import { runTimeToTruth, truthPasses, truthReport, type TruthCase } from './timeToTruth';
import { loginFloodPasses, loginFloodReport, runLoginFlood, type LoginFloodRun } from './loginFlood';

const STREAM_SCENARIOS = ['S', 'overload', 'files', 'snapshot', 'truth', 'loginFlood'];
/** How long the stream scenarios may take, each. */
const STREAM_BUDGET_MS = 15 * 60_000;

/** One S run's line in the log: latency, CPU (of it other threads, major GCs; the bench's own), RSS and heap at rest. */
function sLine(r: LoadResult): string {
  return `    p99 ${r.latency.p99.toFixed(1)} ms, CPU ${r.cpuPercent.toFixed(0)} % (other threads ${r.otherThreadsCpuPercent?.toFixed(0) ?? '?'} %, ${r.majorGcs} major GCs; bench ${r.clientCpuPercent.toFixed(0)} %), RSS ${r.rssBeforeMb.toFixed(0)} → ${r.rssOpenMb.toFixed(0)} MB (heap ${r.heapBeforeMb.toFixed(0)} → ${r.heapOpenMb.toFixed(0)} MB)`;
}
/** The stream scenarios chosen, in order; S runs on the service, then on the floor with the same users. */
async function runStreams(names: string[]): Promise<StreamRun> {
  const run: StreamRun = {};
  if (names.includes('S')) {
    log(`\n[S] ${sSettings.streams} streams × ${sSettings.watched} users, ${sSettings.changesPerSecond} changes/s for ${sSettings.seconds} s: the service`);
    const { result, ready } = await runServiceLoad('S', sSettings, { track: false, metrics: false, profiled: false });
    log(sLine(result));
    log('[S] the same on the fan-out floor');
    const floor = await runFloorLoad(ready.users, ready.ids, sSettings);
    log(sLine(floor));
    run.s = { service: result, floor };
    const missed = streamVerdicts(run, sSettings).some((v) => v.name === 'S' && !v.pass);
    if (settings.profile === 'all' || (settings.profile === 'missed' && missed)) {
      // One more run under the profiler, not counted above: the profiler's cost would weigh on the measures.
      log('[S] once more under --cpu-prof');
      const profiled = await runServiceLoad('S', sSettings, { track: false, metrics: false, profiled: true });
      const file = profileFileOf({ name: 'S' });
      if (existsSync(file)) run.s.profile = summariseProfile(file, 15, profiled.result.changesStartedAtUs);
    }
  }
  if (names.includes('overload')) {
    log(`\n[overload] ${overloadSettings.streams} streams × ${overloadSettings.watched} users, ${overloadSettings.changesPerSecond} changes/s for ${overloadSettings.seconds} s`);
    run.overload = (await runServiceLoad('overload', overloadSettings, { track: true, metrics: true, profiled: false })).result;
    log(`    p99 ${run.overload.latency.p99.toFixed(1)} ms, CPU ${run.overload.cpuPercent.toFixed(0)} % (bench ${run.overload.clientCpuPercent.toFixed(0)} %, timer interval p99 ${run.overload.clientTickIntervalP99Ms.toFixed(0)} ms), answered p99 ${run.overload.answered.p99.toFixed(0)} ms (waiting for a connection ${run.overload.waitedForConnection.p99.toFixed(0)} ms), lost ${run.overload.lost}, widest window ${((run.overload.metrics?.maxWindowSeconds ?? 0) * 1000).toFixed(0)} ms`);
    const missed = streamVerdicts(run, sSettings).some((v) => v.name === 'overload' && !v.pass);
    if (settings.profile === 'all' || (settings.profile === 'missed' && missed)) {
      log('[overload] once more under --cpu-prof');
      const profiled = await runServiceLoad('overload', overloadSettings, { track: true, metrics: true, profiled: true });
      const file = profileFileOf({ name: 'overload' });
      if (existsSync(file)) run.overloadProfile = summariseProfile(file, 15, profiled.result.changesStartedAtUs);
    }
  }
  if (names.includes('files')) {
    log('\n[files] as many streams as the open-file limit allows, mostly idle');
    run.files = await runFiles();
    log(`    ${run.files.opened} of ${run.files.maxStreams} opened, one more: ${run.files.refusal.status}`);
  }
  if (names.includes('snapshot')) {
    log('\n[snapshot] 100 unfiltered streams at once on 20 000 present users');
    run.snapshot = await runSnapshot();
    log(`    first bytes max ${run.snapshot.firstBytes.max.toFixed(0)} ms, ${run.snapshot.complete} complete`);
  }
  return run;
}

async function main(): Promise<void> {
  const known = [...POLL_SCENARIOS.map((scenario) => scenario.name), ...STREAM_SCENARIOS];
  const names = selectedScenarioNames(known);
  const scenarios = POLL_SCENARIOS.filter((scenario) => names.includes(scenario.name));
  const streams = STREAM_SCENARIOS.filter((name) => names.includes(name));
  const started = new Date();
  const loadBefore = os.loadavg();
  // Read now: what is measured is what was built at the start, whatever is committed during the run.
  const machineLines = machine();
  const budget = scenarios.length * scenarioBudgetMs() + streams.length * STREAM_BUDGET_MS + 60_000;
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
  const streamRun = await runStreams(streams);
  let truth: TruthCase[] = [];
  if (names.includes('truth')) {
    log('\n[truth] time to truth: clean close, killed client, frozen client, killed instance');
    truth = await runTimeToTruth(log);
  }
  let loginFlood: LoginFloodRun | undefined;
  if (names.includes('loginFlood')) {
    log('\n[loginFlood] polls, quiet and beside a flood of failed logins at the limits\' edge');
    loginFlood = await runLoginFlood(log);
  }

  const run = { started, machineLines, loadBefore, loadAfter: os.loadavg() };
  const section = `${pollReport(results, run)}\n${streamReport(streamRun, sSettings, overloadSettings)}${truth.length > 0 ? `\n${truthReport(truth)}` : ''}${loginFlood === undefined ? '' : `\n${loginFloodReport(loginFlood)}`}`;
  log(`\n${section}`);
  const missedStreams = [...streamVerdicts(streamRun, sSettings).filter((v) => !v.pass).map((v) => v.name), ...truth.filter((c) => !truthPasses(c)).map((c) => `truth: ${c.name}`), ...(loginFlood !== undefined && !loginFloodPasses(loginFlood) ? ['loginFlood'] : [])];
  if (missedStreams.length > 0) log(`stream scenarios missing a target: ${missedStreams.join(', ')}`);
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
