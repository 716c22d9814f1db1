/** The stream scenarios' verdicts and Markdown sections. */
import { formatSummary, type ProfileSummary } from './profileSummary';
import type { FilesResult, SnapshotResult } from './streamLimits';
import type { LoadResult, LoadSettings } from './streamScenarios';

/**
 * Issue 21's targets: S's as ratios to the fan-out floor measured in the same run (they hold on any machine, where
 * the floor itself moves up to 2 × from day to day); the files scenario's memory against the floor's per stream in S.
 */
export const STREAM_TARGETS = { sP99VsFloor: 2, sCpuVsFloor: 1.3, kbPerStreamVsFloor: 1.3, overloadP99Ms: 1000, overloadPeakVsOpen: 1.5, firstBytesP99Ms: 1000 };

const ok = (pass: boolean) => (pass ? 'PASS' : 'MISS');
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '–');
const n = (value: number) => value.toLocaleString('en');
const kbPerStream = (result: { rssBeforeMb: number; rssOpenMb: number }, streams: number) => ((result.rssOpenMb - result.rssBeforeMb) * 1024) / streams;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)} ×` : '–');
/** Whether `value` is within `times` × `floor`; never, without a floor measured in the same run. */
const withinFloor = (value: number, floor: number | undefined, times: number) => floor !== undefined && value <= times * floor;
/** The floor's RSS per stream in S, when S ran with its floor. */
const floorKbPerStream = (run: StreamRun, s: LoadSettings) => (run.s?.floor === undefined ? undefined : kbPerStream(run.s.floor, s.streams));

/** The CPU of the threads besides the main one, and the major collections, while the changes were made. */
const threadsCell = (r: LoadResult) => `${r.otherThreadsCpuPercent === null ? 'not measured' : `${r.otherThreadsCpuPercent.toFixed(0)} %`}; ${r.majorGcs}`;
/** S's three measures against the floor's. */
function sChecks(r: LoadResult, f: LoadResult | undefined, streams: number) {
  return {
    p99: withinFloor(r.latency.p99, f?.latency.p99, STREAM_TARGETS.sP99VsFloor),
    cpu: withinFloor(r.cpuPercent, f?.cpuPercent, STREAM_TARGETS.sCpuVsFloor),
    memory: withinFloor(kbPerStream(r, streams), f === undefined ? undefined : kbPerStream(f, streams), STREAM_TARGETS.kbPerStreamVsFloor),
  };
}

export interface StreamRun {
  s?: { service: LoadResult; floor?: LoadResult; profile?: ProfileSummary };
  overload?: LoadResult;
  overloadProfile?: ProfileSummary;
  files?: FilesResult;
  snapshot?: SnapshotResult;
}

/** Each scenario's verdict, for the summary and the exit status. */
export function streamVerdicts(run: StreamRun, s: LoadSettings): { name: string; pass: boolean }[] {
  const verdicts: { name: string; pass: boolean }[] = [];
  if (run.s !== undefined) {
    const r = run.s.service;
    const checks = sChecks(r, run.s.floor, s.streams);
    verdicts.push({ name: 'S', pass: r.streamsHeld === s.streams && checks.p99 && checks.cpu && checks.memory });
  }
  if (run.overload !== undefined) {
    const r = run.overload;
    verdicts.push({ name: 'overload', pass: r.streamsHeld === s.streams && r.lost === 0 && r.writesFailed === 0 && r.latency.p99 <= STREAM_TARGETS.overloadP99Ms && r.metrics?.finalBacklog === 0 && r.rssPeakMb <= STREAM_TARGETS.overloadPeakVsOpen * r.rssOpenMb });
  }
  if (run.files !== undefined) {
    const r = run.files;
    verdicts.push({
      name: 'files',
      pass: r.opened === r.maxStreams && r.held === r.opened && r.refusal.status === 503 && r.refusal.retryAfter !== undefined && r.heartbeats === r.opened && r.deliveries === r.expectedDeliveries && r.serviceAlive && withinFloor(kbPerStream(r, r.opened), floorKbPerStream(run, s), STREAM_TARGETS.kbPerStreamVsFloor),
    });
  }
  if (run.snapshot !== undefined) {
    const r = run.snapshot;
    verdicts.push({ name: 'snapshot', pass: r.firstBytes.p99 <= STREAM_TARGETS.firstBytesP99Ms && r.complete === r.streams && r.changed === r.streams });
  }
  return verdicts;
}

/** A change's sent-to-answered time, and the part of it spent waiting for one of the writer's connections. */
const answeredCell = (r: LoadResult) => `${ms(r.answered.p50)} / ${ms(r.answered.p99)} / ${ms(r.answered.max)}; ${ms(r.waitedForConnection.p99)}`;

function sSection(run: NonNullable<StreamRun['s']>, s: LoadSettings): string[] {
  const { service: r, floor: f } = run;
  const kb = kbPerStream(r, s.streams);
  const checks = sChecks(r, f, s.streams);
  const floorCell = (value: string) => (f === undefined ? '' : value);
  const lines = [
    `### (S) Live streams: ${n(s.streams)} streams × ${s.watched} watched users, ${s.changesPerSecond} changes/s for ${s.seconds} s, against the fan-out floor`,
    '',
    '| measure | service | floor | service ÷ floor | target |',
    '| --- | ---: | ---: | ---: | --- |',
    `| streams held to the end | ${n(r.streamsHeld)} of ${n(r.streamsOpened)} (opened in ${(r.openMs / 1000).toFixed(1)} s) | ${floorCell(f === undefined ? '' : `${n(f.streamsHeld)} of ${n(f.streamsOpened)}`)} | | all, ${ok(r.streamsHeld === s.streams)} |`,
    `| delivery latency p50 / p99 / max (ms) | ${ms(r.latency.p50)} / ${ms(r.latency.p99)} / ${ms(r.latency.max)} | ${floorCell(f === undefined ? '' : `${ms(f.latency.p50)} / ${ms(f.latency.p99)} / ${ms(f.latency.max)}`)} | ${floorCell(f === undefined ? '' : `p99 ${ratio(r.latency.p99, f.latency.p99)}`)} | p99 ≤ ${STREAM_TARGETS.sP99VsFloor} × the floor's, ${ok(checks.p99)} |`,
    `| CPU, % of one core, while the changes are made | ${r.cpuPercent.toFixed(0)} % | ${floorCell(f === undefined ? '' : `${f.cpuPercent.toFixed(0)} %`)} | ${floorCell(f === undefined ? '' : ratio(r.cpuPercent, f.cpuPercent))} | ≤ ${STREAM_TARGETS.sCpuVsFloor} × the floor's, ${ok(checks.cpu)} |`,
    `| of it, threads other than the main one (V8's collector and compiler helpers, libuv's pool); major GCs V8 made on its own | ${threadsCell(r)} | ${floorCell(f === undefined ? '' : threadsCell(f))} | | |`,
    `| RSS per open stream (at rest with the streams open − at rest before them) | ${kb.toFixed(1)} KB | ${floorCell(f === undefined ? '' : `${kbPerStream(f, s.streams).toFixed(1)} KB`)} | ${floorCell(f === undefined ? '' : ratio(kb, kbPerStream(f, s.streams)))} | ≤ ${STREAM_TARGETS.kbPerStreamVsFloor} × the floor's, ${ok(checks.memory)} |`,
    `| the bench's own process (subscribers and writer): CPU; its 10 ms timer's interval p99 | ${r.clientCpuPercent.toFixed(0)} %; ${ms(r.clientTickIntervalP99Ms)} ms | ${floorCell(f === undefined ? '' : `${f.clientCpuPercent.toFixed(0)} %; ${ms(f.clientTickIntervalP99Ms)} ms`)} | | |`,
    `| a change from sent to answered (users.setStatus) p50 / p99 / max; of which waiting for a writer's connection p99 (ms) | ${answeredCell(r)} | ${floorCell(f === undefined ? '' : answeredCell(f))} | | |`,
    `| RSS at rest before the streams / with them open / peak (MB) | ${r.rssBeforeMb.toFixed(0)} / ${r.rssOpenMb.toFixed(0)} / ${r.rssPeakMb.toFixed(0)} | ${floorCell(f === undefined ? '' : `${f.rssBeforeMb.toFixed(0)} / ${f.rssOpenMb.toFixed(0)} / ${f.rssPeakMb.toFixed(0)}`)} | | |`,
    `| of which the V8 heap in use, at rest before the streams / with them open (MB) | ${r.heapBeforeMb.toFixed(0)} / ${r.heapOpenMb.toFixed(0)} | ${floorCell(f === undefined ? '' : `${f.heapBeforeMb.toFixed(0)} / ${f.heapOpenMb.toFixed(0)}`)} | | |`,
    `| changes sent (failed); deliveries; events | ${n(r.changesSent)} (${r.writesFailed}); ${n(r.deliveries)}; ${n(r.eventsReceived)} | ${floorCell(f === undefined ? '' : `${n(f.changesSent)} (${f.writesFailed}); ${n(f.deliveries)}; ${n(f.eventsReceived)}`)} | | |`,
    '',
    'Latency is from the moment the bench sent the write to the moment a subscriber parsed the event, at every subscriber. The subscribers and the writer run in the bench\'s own process on the same two cores. The floor (bench/floor.ts) is node:http with nothing but an index of streams by watched user and one `res.write` per event: no authentication, validation, store, feed or metrics.',
    '',
  ];
  if (run.profile !== undefined) lines.push('#### (S) service CPU profile, from the first change on (one more run under --cpu-prof, not counted above)', '', formatSummary(run.profile), '');
  return lines;
}

function overloadSection(r: LoadResult, s: LoadSettings): string[] {
  const m = r.metrics;
  return [
    `### (overload) ${n(s.streams)} streams × ${s.watched} watched users, ${n(s.changesPerSecond)} changes/s for ${s.seconds} s: degrade, never drop`,
    '',
    '| measure | value | target |',
    '| --- | --- | --- |',
    `| streams held to the end | ${n(r.streamsHeld)} of ${n(r.streamsOpened)} | all, ${ok(r.streamsHeld === s.streams)} |`,
    `| changes sent (failed); watched users whose last state a stream missed | ${n(r.changesSent)} (${r.writesFailed}); ${n(r.lost ?? -1)} | none lost, ${ok(r.lost === 0 && r.writesFailed === 0)} |`,
    `| delivery latency p50 / p99 / max (ms) | ${ms(r.latency.p50)} / ${ms(r.latency.p99)} / ${ms(r.latency.max)} | p99 ≤ ${STREAM_TARGETS.overloadP99Ms} ms, ${ok(r.latency.p99 <= STREAM_TARGETS.overloadP99Ms)} |`,
    `| deliveries (one change at one subscriber); events | ${n(r.deliveries)}; ${n(r.eventsReceived)} (${(r.deliveries / Math.max(1, r.eventsReceived)).toFixed(1)} changes an event) | |`,
    `| coalescing window, widest / at the end (/metrics) | ${m === undefined ? '–' : `${(m.maxWindowSeconds * 1000).toFixed(0)} / ${(m.finalWindowSeconds * 1000).toFixed(0)} ms`} | widens, then narrows |`,
    `| backlog, largest / at the end (events) | ${m === undefined ? '–' : `${n(m.maxBacklog)} / ${n(m.finalBacklog)}`} | drains to 0, ${ok(m?.finalBacklog === 0)} |`,
    `| presence_stream_delivery_seconds ≤ 1 s | ${m === undefined ? '–' : `${n(m.deliveredWithin1s)} of ${n(m.delivered)}`} | |`,
    `| CPU, % of one core | ${r.cpuPercent.toFixed(0)} % | |`,
    `| of it, threads other than the main one; major GCs V8 made on its own | ${threadsCell(r)} | |`,
    `| the bench's own process (subscribers and writer): CPU; its 10 ms timer's interval p99 | ${r.clientCpuPercent.toFixed(0)} %; ${ms(r.clientTickIntervalP99Ms)} ms | |`,
    `| a change from sent to answered (users.setStatus) p50 / p99 / max; of which waiting for a writer's connection p99 (ms) | ${answeredCell(r)} | |`,
    `| RSS at rest before the streams / with them open / peak (MB) | ${r.rssBeforeMb.toFixed(0)} / ${r.rssOpenMb.toFixed(0)} / ${r.rssPeakMb.toFixed(0)} | bounded: peak ≤ ${STREAM_TARGETS.overloadPeakVsOpen} × with them open, ${ok(r.rssPeakMb <= STREAM_TARGETS.overloadPeakVsOpen * r.rssOpenMb)} |`,
    '',
  ];
}

function filesSection(r: FilesResult, floorKb: number | undefined): string[] {
  const kb = kbPerStream(r, r.opened);
  return [
    `### (files) As many streams as the open-file limit lets one instance hold: ${n(r.maxStreams)}`,
    '',
    '| measure | value | target |',
    '| --- | --- | --- |',
    `| streams opened (STREAM_MAX_PER_INSTANCE as derived) / held to the end | ${n(r.opened)} of ${n(r.maxStreams)} (in ${(r.openMs / 1000).toFixed(1)} s) / ${n(r.held)} | all, ${ok(r.opened === r.maxStreams && r.held === r.opened)} |`,
    `| one more stream | ${r.refusal.status}, Retry-After ${r.refusal.retryAfter ?? '(none)'}, ${r.refusal.contentType ?? ''}: \`${r.refusal.body}\` | 503 JSON with Retry-After, ${ok(r.refusal.status === 503 && r.refusal.retryAfter !== undefined)} |`,
    `| streams that got a keep-alive while idle | ${n(r.heartbeats)} | all, ${ok(r.heartbeats === r.opened)} |`,
    `| changes then (${r.changesSent}); deliveries / expected; latency p50 / p99 (ms) | ${n(r.deliveries)} / ${n(r.expectedDeliveries)}; ${ms(r.latency.p50)} / ${ms(r.latency.p99)} | all flow, ${ok(r.deliveries === r.expectedDeliveries)} |`,
    `| the service still running | ${r.serviceAlive ? 'yes' : 'no'} | ${ok(r.serviceAlive)} |`,
    `| RSS per open stream | ${kb.toFixed(1)} KB (RSS ${r.rssBeforeMb.toFixed(0)} → ${r.rssOpenMb.toFixed(0)} MB, peak ${r.rssPeakMb.toFixed(0)}) | ≤ ${STREAM_TARGETS.kbPerStreamVsFloor} × the floor's in S (${floorKb === undefined ? 'S not run' : `${floorKb.toFixed(1)} KB`}), ${ok(withinFloor(kb, floorKb, STREAM_TARGETS.kbPerStreamVsFloor))} |`,
    '',
  ];
}

function snapshotSection(r: SnapshotResult): string[] {
  return [
    `### (snapshot) ${n(r.streams)} unfiltered streams opening at once on ${n(r.present)} present users`,
    '',
    '| measure | value | target |',
    '| --- | --- | --- |',
    `| first bytes, p50 / p99 / max (ms) | ${ms(r.firstBytes.p50)} / ${ms(r.firstBytes.p99)} / ${ms(r.firstBytes.max)} | p99 ≤ ${STREAM_TARGETS.firstBytesP99Ms} ms, ${ok(r.firstBytes.p99 <= STREAM_TARGETS.firstBytesP99Ms)} |`,
    `| whole snapshot received by the client, p50 / max (ms) | ${ms(r.whole.p50)} / ${ms(r.whole.max)} | |`,
    `| streams with all ${n(r.present)} users / then given the next change | ${r.complete} / ${r.changed} of ${r.streams} | all, ${ok(r.complete === r.streams && r.changed === r.streams)} |`,
    `| RSS before / peak (MB) | ${r.rssBeforeMb.toFixed(0)} / ${r.rssPeakMb.toFixed(0)} | |`,
    '',
  ];
}

export function streamReport(run: StreamRun, s: LoadSettings, overload: LoadSettings): string {
  return [
    ...(run.s === undefined ? [] : sSection(run.s, s)),
    ...(run.overload === undefined ? [] : overloadSection(run.overload, overload)),
    ...(run.overloadProfile === undefined ? [] : ['#### (overload) service CPU profile, from the first change on (one more run under --cpu-prof, not counted above)', '', formatSummary(run.overloadProfile), '']),
    ...(run.files === undefined ? [] : filesSection(run.files, floorKbPerStream(run, s))),
    ...(run.snapshot === undefined ? [] : snapshotSection(run.snapshot)),
  ].join('\n');
}
