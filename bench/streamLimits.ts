/**
 * The stream scenarios at the edges of one instance: `files`, as many streams as its open-file limit lets it hold
 * (mostly idle, heartbeats on), and the refusal past them; `snapshot`, unfiltered streams opening all at once on a
 * list of 20 000 present users.
 */
import type { MemoryReport } from './protocol';
import { startService } from './services';
import { answerTo, connectedWriter, Latencies, openMany, streamAgent, writeChanges } from './streamClients';
import { REST_MS, rest } from './streamScenarios';

const MB = 1024 * 1024;

export interface FilesResult {
  maxStreams: number;
  opened: number;
  openMs: number;
  /** The stream asked for past the limit: its answer. */
  refusal: { status: number; retryAfter: string | undefined; contentType: string | undefined; body: string };
  /** Streams that got at least one keep-alive comment while idle, and streams still open at the end. */
  heartbeats: number;
  held: number;
  changesSent: number;
  deliveries: number;
  /** Deliveries expected: every change's watchers. */
  expectedDeliveries: number;
  latency: { p50: number; p99: number; max: number };
  serviceAlive: boolean;
  rssBeforeMb: number;
  rssOpenMb: number;
  rssPeakMb: number;
}

/** Long enough for every stream to get a keep-alive comment (STREAM_HEARTBEAT_SECONDS: 15), and to be at rest. */
const IDLE_MS = Math.max(16_000, REST_MS);
const FILES_WATCHED = 5;
const FILES_CHANGES = { perSecond: 20, seconds: 5 };

async function memoryOf(child: { send(message: object): void; next<T extends { type: string }>(type: T['type'], timeoutMs: number): Promise<T> }): Promise<MemoryReport> {
  child.send({ type: 'memory' });
  return child.next<MemoryReport>('memory', 120_000);
}

export async function runFiles(): Promise<FilesResult> {
  const service = await startService({ name: 'files', users: 10_000, tokens: 10_000, changeEveryMs: 0, budgetMs: 20 * 60_000 }, false);
  const { ready, child } = service;
  const agent = streamAgent();
  try {
    await rest();
    const before = await memoryOf(child);
    const latencies = new Latencies();
    let sentAt: Float64Array | undefined;
    const ids = ready.ids;
    const watchedBy = (k: number) => Array.from({ length: FILES_WATCHED }, (_, j) => ids[(k * 13 + j * 2003) % ids.length]);
    const tokenOf = (k: number) => ready.users[k % ready.users.length];
    const requestFor = (k: number) => ({ path: `/api/v1/users.presence.stream?ids=${watchedBy(k).join(',')}`, headers: { 'X-User-Id': tokenOf(k).userId, 'X-Auth-Token': tokenOf(k).token } });
    const { subscribers, openMs } = await openMany(ready.port, agent, ready.maxStreams, requestFor, (seq, at) => {
      const sent = sentAt?.[seq] ?? 0;
      if (sent > 0) latencies.add(at - sent);
    }, { batch: 250, track: false });
    const extra = await answerTo(ready.port, requestFor(ready.maxStreams));
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const open = await memoryOf(child);
    const heartbeats = subscribers.filter((subscriber) => subscriber.keepAlives > 0).length;
    const byUser = new Map(ready.users.map((user) => [user.userId, user]));
    const { writes, done } = writeChanges(ready.port, await connectedWriter(ready.port), FILES_CHANGES.perSecond, FILES_CHANGES.seconds, (seq) => byUser.get(ids[(seq * 7919) % ids.length]) as (typeof ready.users)[number]);
    sentAt = writes.sentAt;
    await done;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const watchers = new Map<string, number>();
    subscribers.forEach((_, k) => {
      for (const id of new Set(watchedBy(k))) watchers.set(id, (watchers.get(id) ?? 0) + 1);
    });
    let expectedDeliveries = 0;
    for (let seq = 1; seq <= writes.sent; seq += 1) expectedDeliveries += watchers.get(ids[(seq * 7919) % ids.length]) ?? 0;
    const after = await memoryOf(child);
    return {
      maxStreams: ready.maxStreams,
      opened: subscribers.length,
      openMs,
      refusal: { status: extra.status, retryAfter: extra.headers['retry-after'] as string | undefined, contentType: extra.headers['content-type'], body: extra.body },
      heartbeats,
      held: subscribers.filter((subscriber) => !subscriber.ended).length,
      changesSent: writes.sent - writes.failed,
      deliveries: latencies.count,
      expectedDeliveries,
      latency: latencies.percentiles(),
      serviceAlive: child.process.exitCode === null,
      rssBeforeMb: before.rssAfterGc / MB,
      rssOpenMb: open.rssAfterGc / MB,
      rssPeakMb: after.peakRss / MB,
    };
  } finally {
    agent.destroy();
    await child.stop(60_000);
  }
}

export interface SnapshotResult {
  present: number;
  streams: number;
  /** Time from a stream's request to its first bytes, and to its whole snapshot received (ms). */
  firstBytes: { p50: number; p99: number; max: number };
  whole: { p50: number; p99: number; max: number };
  complete: number;
  /** Streams that then got the change made after they opened. */
  changed: number;
  rssBeforeMb: number;
  rssPeakMb: number;
}

const SNAPSHOT_USERS = 20_000;
const SNAPSHOT_STREAMS = 100;

export async function runSnapshot(): Promise<SnapshotResult> {
  const service = await startService({ name: 'snapshot', users: SNAPSHOT_USERS, tokens: SNAPSHOT_STREAMS, allOnline: true, changeEveryMs: 0, budgetMs: 10 * 60_000 }, false);
  const { ready, child } = service;
  const agent = streamAgent();
  try {
    const before = await memoryOf(child);
    let changedSeq = 0;
    let changed = 0;
    const { subscribers } = await openMany(
      ready.port,
      agent,
      SNAPSHOT_STREAMS,
      (k) => ({ path: '/api/v1/users.presence.stream', headers: { 'X-User-Id': ready.users[k].userId, 'X-Auth-Token': ready.users[k].token } }),
      (seq) => {
        if (seq === changedSeq) changed += 1;
      },
      { batch: SNAPSHOT_STREAMS, track: false, hold: true },
    );
    // Every snapshot is in: now parsed, so each is checked whole and the change below is read as it comes.
    for (const subscriber of subscribers) subscriber.readHeld();
    const { writes, done } = writeChanges(ready.port, await connectedWriter(ready.port), 1, 1, () => ready.users[0]);
    changedSeq = 1;
    await done;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = await memoryOf(child);
    const firstBytes = new Latencies();
    const whole = new Latencies();
    for (const subscriber of subscribers) {
      firstBytes.add(subscriber.firstByteAt);
      whole.add(subscriber.snapshotAt);
    }
    return {
      present: ready.onlineUsers,
      streams: subscribers.length,
      firstBytes: firstBytes.percentiles(),
      whole: whole.percentiles(),
      complete: subscribers.filter((subscriber) => subscriber.snapshotUsers === ready.onlineUsers).length,
      changed: writes.failed === 0 ? changed : 0,
      rssBeforeMb: before.rssAfterGc / MB,
      rssPeakMb: after.peakRss / MB,
    };
  } finally {
    agent.destroy();
    await child.stop(30_000);
  }
}
