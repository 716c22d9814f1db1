/**
 * The stream scenario of `npm run bench`: S open streams on one service process, each watching W users, while
 * C changes a second are made through the API; every change carries a unique status text, so each subscriber's
 * event is matched to the moment its write was sent. Reports delivery latency (write sent → event parsed, at
 * every subscriber), events a second, the service's CPU and RSS, and whether every stream was held throughout.
 */
import { Agent, request as httpRequest } from 'node:http';
import type { Child } from './children';
import type { BenchUser, MarkReport, MemoryReport, ServiceReady } from './protocol';
import { onSseBlocks } from '../tools/sseParser';

export interface StreamSettings {
  streams: number;
  watched: number;
  changesPerSecond: number;
  seconds: number;
}

export interface StreamResult {
  streamsOpened: number;
  streamsHeld: number;
  changesSent: number;
  eventsReceived: number;
  deliveries: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
  eventsPerSecond: number;
  serviceCpuPercent: number;
  rssAtRestMb: number;
  rssPeakMb: number;
  openMs: number;
  /** The service's process.hrtime (µs) when the changes began: where a profile of the delivery starts. */
  changesStartedAtUs: number;
}

const MB = 1024 * 1024;
const OPEN_BATCH = 250;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Subscriber {
  snapshot: boolean;
  ended: boolean;
}

/** Opens one stream and feeds every `b<seq>` status text it sees to `onDelivery`. */
function subscribe(port: number, agent: Agent, user: BenchUser, ids: string[], onDelivery: (seq: number) => void, onEvent: () => void): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const state: Subscriber = { snapshot: false, ended: false };
    const req = httpRequest(
      { host: '127.0.0.1', port, agent, path: `/api/v1/users.presence.stream?ids=${ids.join(',')}`, headers: { 'X-User-Id': user.userId, 'X-Auth-Token': user.token } },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`stream refused: ${res.statusCode}`));
          res.resume();
          return;
        }
        onSseBlocks(res, (block) => {
          if (block.data === undefined) return;
          const data = JSON.parse(block.data) as { users: { statusText?: string }[]; full: boolean };
          if (data.full) {
            state.snapshot = true;
            resolve(state);
            return;
          }
          onEvent();
          for (const user of data.users) if (user.statusText?.startsWith('b')) onDelivery(Number(user.statusText.slice(1)));
        });
        res.on('close', () => (state.ended = true));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export async function runStreamScenario(service: Child, ready: ServiceReady, settings: StreamSettings): Promise<StreamResult> {
  const users = ready.users;
  if (users.length < settings.watched) throw new Error(`the stream scenario needs at least ${settings.watched} users' tokens`);
  const streamAgent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const writeAgent = new Agent({ keepAlive: true, maxSockets: 16 });
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let events = 0;
  const onDelivery = (seq: number) => {
    const sent = sentAt.get(seq);
    if (sent !== undefined) latencies.push(performance.now() - sent);
  };

  const openStarted = performance.now();
  const subscribers: Subscriber[] = [];
  for (let first = 0; first < settings.streams; first += OPEN_BATCH) {
    const batch: Promise<Subscriber>[] = [];
    for (let k = first; k < Math.min(settings.streams, first + OPEN_BATCH); k += 1) {
      // Each stream watches its own spread of users; each user is watched by about S·W/users streams.
      const ids = Array.from({ length: settings.watched }, (_, j) => users[(k * 37 + j * 101) % users.length].userId);
      batch.push(subscribe(ready.port, streamAgent, users[k % users.length], ids, onDelivery, () => (events += 1)));
    }
    subscribers.push(...(await Promise.all(batch)));
  }
  const openMs = performance.now() - openStarted;
  service.send({ type: 'memory' });
  const atRest = await service.next<MemoryReport>('memory', 60_000);

  const cpuBefore = atRest.cpuMicros;
  service.send({ type: 'mark' });
  const changesStartedAtUs = (await service.next<MarkReport>('mark', 10_000)).atUs;
  const started = performance.now();
  let seq = 0;
  const writes: Promise<void>[] = [];
  const changeOnce = () => {
    seq += 1;
    const mine = seq;
    const writer = users[(mine * 7919) % users.length];
    const body = JSON.stringify({ status: mine % 2 === 0 ? 'away' : 'online', message: `b${mine}` });
    sentAt.set(mine, performance.now());
    writes.push(
      new Promise((resolve) => {
        const req = httpRequest(
          { host: '127.0.0.1', port: ready.port, agent: writeAgent, method: 'POST', path: '/api/v1/users.setStatus', headers: { 'Content-Type': 'application/json', 'X-User-Id': writer.userId, 'X-Auth-Token': writer.token } },
          (res) => {
            res.resume();
            res.on('end', () => resolve());
          },
        );
        req.on('error', () => resolve());
        req.end(body);
      }),
    );
  };
  const intervalMs = 1000 / settings.changesPerSecond;
  // Changes are sent on a schedule, catching up if the timer runs late, so C a second holds under load.
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.floor((performance.now() - started) / intervalMs);
      while (seq < due && seq < settings.changesPerSecond * settings.seconds) changeOnce();
      if (seq >= settings.changesPerSecond * settings.seconds) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  await Promise.all(writes);
  // The last events are on their way.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const elapsedS = (performance.now() - started) / 1000;
  service.send({ type: 'memory' });
  const after = await service.next<MemoryReport>('memory', 60_000);
  const held = subscribers.filter((subscriber) => subscriber.snapshot && !subscriber.ended).length;
  streamAgent.destroy();
  writeAgent.destroy();

  latencies.sort((a, b) => a - b);
  return {
    streamsOpened: subscribers.length,
    streamsHeld: held,
    changesSent: seq,
    eventsReceived: events,
    deliveries: latencies.length,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    latencyMaxMs: latencies[latencies.length - 1] ?? Number.NaN,
    eventsPerSecond: events / elapsedS,
    serviceCpuPercent: ((after.cpuMicros - cpuBefore) / 1e6 / elapsedS) * 100,
    rssAtRestMb: atRest.rss / MB,
    rssPeakMb: after.peakRss / MB,
    openMs,
    changesStartedAtUs,
  };
}
