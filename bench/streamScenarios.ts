/**
 * The stream scenarios that load a stream process with changes: S (10 000 streams × 100 watched users, 200
 * changes a second), on the service and on the bare fan-out floor in the same run, and the overload scenario
 * (the same streams at five times the rate), which must keep every stream and every change.
 */
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startChild, type Child } from './children';
import type { BaselineReady, BenchUser, FloorServe, MarkReport, MemoryReport } from './protocol';
import { childEnv, startService } from './services';
import { intEnv } from './settings';
import { connectedWriter, Latencies, openMany, streamAgent, writeChanges, type Subscriber } from './streamClients';
import { metricSampler, type MetricPeaks } from './streamMetrics';

export interface LoadSettings {
  streams: number;
  watched: number;
  changesPerSecond: number;
  seconds: number;
}

export const sSettings: LoadSettings = {
  streams: intEnv('BENCH_STREAMS', 10_000),
  watched: intEnv('BENCH_STREAM_WATCHED', 100),
  changesPerSecond: intEnv('BENCH_STREAM_CHANGES', 200),
  seconds: intEnv('BENCH_STREAM_SECONDS', 10),
};

export const overloadSettings: LoadSettings = { ...sSettings, changesPerSecond: 5 * sSettings.changesPerSecond };

/** One stream process's run under load. */
export interface LoadResult {
  streamsOpened: number;
  streamsHeld: number;
  openMs: number;
  changesSent: number;
  writesFailed: number;
  deliveries: number;
  eventsReceived: number;
  latency: { p50: number; p99: number; max: number };
  cpuPercent: number;
  /**
   * Of cpuPercent, what threads other than the main one used (V8's collector and compiler helpers, libuv's pool;
   * null off Linux), and the major collections V8 made meanwhile: each marks the whole heap, 10 000 streams' included.
   */
  otherThreadsCpuPercent: number | null;
  majorGcs: number;
  /**
   * The bench's own process from the first change to SETTLE_MS after the last (the service's CPU is over the same
   * time): its CPU (% of one core), and the p99 of the intervals between the ticks of a 10 ms timer (ms; an idle
   * loop reads 10). Its subscribers read every event on the same two cores, so a busy bench is part of the latency
   * it measures.
   */
  clientCpuPercent: number;
  clientTickIntervalP99Ms: number;
  /** From a change being sent to its answer (ms), waiting for one of the writer's connections included. */
  answered: { p50: number; p99: number; max: number };
  /** From a change being sent to its request getting one of the writer's connections (ms). */
  waitedForConnection: { p50: number; p99: number; max: number };
  /** RSS at rest (REST_MS idle, then a full GC) before the streams opened and with them open, and its peak (MB). */
  rssBeforeMb: number;
  rssOpenMb: number;
  rssPeakMb: number;
  /** The V8 heap in use after the same full GCs, before the streams and with them open (MB): the live JavaScript objects, without the heap V8 holds unused or the external memory. */
  heapBeforeMb: number;
  heapOpenMb: number;
  /** Changes a subscriber never saw the latest state of (the overload scenario checks it). */
  lost?: number;
  metrics?: MetricPeaks;
  /** The service's process.hrtime (µs) when the changes began: where a profile of the delivery starts. */
  changesStartedAtUs: number;
}

const MB = 1024 * 1024;
const OPEN_BATCH = 250;
/**
 * RSS "at rest" is read after the process has idled this long and a full GC: V8 gives back the pages a burst of
 * work (seeding, opening 10 000 streams) left it only after some seconds of quiet, and what an instance holds at
 * rest is what the target is about. Both readings, before the streams and with them open, wait the same.
 */
export const REST_MS = intEnv('BENCH_REST_SECONDS', 30, 0) * 1000;

export const rest = () => new Promise((resolve) => setTimeout(resolve, REST_MS));
/** The timer whose ticks measure the bench's own event loop (monitorEventLoopDelay records the whole interval). */
const LOOP_TIMER_MS = 10;
/** The changes after the last one is sent have this long to arrive. */
const SETTLE_MS = 1500;

async function memoryOf(child: Child): Promise<MemoryReport> {
  child.send({ type: 'memory' });
  return child.next<MemoryReport>('memory', 120_000);
}

/** Opens the streams on `port`, makes the changes, and measures the process `child` meanwhile. */
export async function loadStreams(child: Child, port: number, users: BenchUser[], ids: readonly string[], settings: LoadSettings, options: { track: boolean; metrics: boolean }): Promise<LoadResult> {
  if (users.length < settings.watched) throw new Error(`the stream scenarios need at least ${settings.watched} users' tokens`);
  await rest();
  const before = await memoryOf(child);
  const agent = streamAgent();
  const latencies = new Latencies();
  let sentAt: Float64Array | undefined;
  const onDelivery = (seq: number, receivedAt: number) => {
    const at = sentAt?.[seq] ?? 0;
    if (at > 0) latencies.add(receivedAt - at);
  };
  // Each stream watches its own spread of users; each user is watched by about streams × watched / users streams.
  const watchedBy = (k: number) => Array.from({ length: settings.watched }, (_, j) => ids[(k * 37 + j * 101) % ids.length]);
  const { subscribers, openMs } = await openMany(
    port,
    agent,
    settings.streams,
    (k) => ({ path: `/api/v1/users.presence.stream?ids=${watchedBy(k).join(',')}`, headers: { 'X-User-Id': users[k % users.length].userId, 'X-Auth-Token': users[k % users.length].token } }),
    onDelivery,
    { batch: OPEN_BATCH, track: options.track },
  );
  await rest();
  const open = await memoryOf(child);
  const writer = await connectedWriter(port);
  child.send({ type: 'mark' });
  const changesStartedAtUs = (await child.next<MarkReport>('mark', 10_000)).atUs;
  const sampler = options.metrics ? metricSampler(port) : undefined;
  const started = performance.now();
  const clientCpuBefore = process.cpuUsage();
  const loopDelay = monitorEventLoopDelay({ resolution: LOOP_TIMER_MS });
  loopDelay.enable();
  const byUser = new Map(users.map((user) => [user.userId, user]));
  const writerIds = ids.filter((id) => byUser.has(id));
  const { writes, done } = writeChanges(port, writer, settings.changesPerSecond, settings.seconds, (seq) => byUser.get(writerIds[(seq * 7919) % writerIds.length]) as BenchUser);
  sentAt = writes.sentAt;
  await done;
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const metrics = await sampler?.stop();
  const elapsedS = (performance.now() - started) / 1000;
  const percentOfCore = (micros: number) => (micros / 1e6 / elapsedS) * 100;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  loopDelay.disable();
  const after = await memoryOf(child);
  // From just after the bench's full GC at the reading with the streams open (that collection is the bench's).
  const cpuMicros = after.cpuMicros - open.cpuMicrosAfterGc;
  const mainThreadMicros = after.mainThreadCpuMicros === null || open.mainThreadCpuMicrosAfterGc === null ? null : after.mainThreadCpuMicros - open.mainThreadCpuMicrosAfterGc;
  const held = subscribers.filter((subscriber) => subscriber.snapshotAt > 0 && !subscriber.ended).length;
  const lost = options.track ? lostChanges(subscribers, watchedBy, writes.lastSeqOf) : undefined;
  agent.destroy();
  return {
    streamsOpened: subscribers.length,
    streamsHeld: held,
    openMs,
    changesSent: writes.sent,
    writesFailed: writes.failed,
    deliveries: latencies.count,
    eventsReceived: subscribers.reduce((sum, subscriber) => sum + subscriber.events, 0),
    latency: latencies.percentiles(),
    cpuPercent: percentOfCore(cpuMicros),
    otherThreadsCpuPercent: mainThreadMicros === null ? null : percentOfCore(cpuMicros - mainThreadMicros),
    majorGcs: after.majorGcs - open.majorGcs,
    clientCpuPercent: percentOfCore(clientCpu.user + clientCpu.system),
    clientTickIntervalP99Ms: loopDelay.percentile(99) / 1e6,
    answered: writes.answered.percentiles(),
    waitedForConnection: writes.waitedForConnection.percentiles(),
    rssBeforeMb: before.rssAfterGc / MB,
    rssOpenMb: open.rssAfterGc / MB,
    rssPeakMb: after.peakRss / MB,
    heapBeforeMb: before.heapUsedAfterGc / MB,
    heapOpenMb: open.heapUsedAfterGc / MB,
    lost,
    metrics,
    changesStartedAtUs,
  };
}

/** For each stream and each user it watches that changed: whether the last state it saw is the last one written. */
function lostChanges(subscribers: Subscriber[], watchedBy: (k: number) => string[], lastSeqOf: Map<string, number>): number {
  let lost = 0;
  subscribers.forEach((subscriber, k) => {
    for (const userId of watchedBy(k)) {
      const last = lastSeqOf.get(userId);
      if (last !== undefined && subscriber.latest?.get(userId) !== last) lost += 1;
    }
  });
  return lost;
}

/** Scenario S on the service: 10 000 users (every token handed out), then the streams and the changes. */
export async function runServiceLoad(name: string, settings: LoadSettings, options: { track: boolean; metrics: boolean; profiled: boolean }) {
  const service = await startService({ name, users: 10_000, tokens: 10_000, changeEveryMs: 0, budgetMs: 20 * 60_000 }, options.profiled);
  try {
    const result = await loadStreams(service.child, service.ready.port, service.ready.users, service.ready.ids, settings, options);
    return { result, ready: service.ready };
  } finally {
    await service.child.stop(60_000);
  }
}

/** Scenario S on the floor: the same users, streams and changes. */
export async function runFloorLoad(users: BenchUser[], ids: string[], settings: LoadSettings): Promise<LoadResult> {
  const child = startChild(path.join(__dirname, 'floor.js'), {
    execArgv: ['--expose-gc'],
    env: childEnv({ BENCH_CHILD_MAX_MS: String(20 * 60_000) }),
    quietStdout: true,
    label: 'fan-out floor',
  });
  try {
    const serve: FloorServe = { type: 'floor', ids, allOnline: false };
    child.send(serve);
    const ready = await child.next<BaselineReady>('ready', 60_000);
    return await loadStreams(child, ready.port, users, ids, settings, { track: false, metrics: false });
  } finally {
    await child.stop(10_000);
  }
}
