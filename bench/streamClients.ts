/**
 * The client side of the stream scenarios, in the bench's own process: subscribers that open streams and read
 * their events (with the one text/event-stream parser the tests and the soak use), and a writer that makes
 * changes at a steady rate. Every change sets a status text `b<seq>`, so a subscriber's event is matched to the
 * moment its write was sent.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { onSseBlocks, SseParser, type SseBlock } from '../tools/sseParser';
import type { BenchUser } from './protocol';

export interface Subscriber {
  /**
   * From the request to the response's headers, and to its snapshot: parsed, or, when the stream is held
   * (`subscribe`'s `hold`), its last byte received.
   */
  firstByteAt: number;
  snapshotAt: number;
  snapshotUsers: number;
  ended: boolean;
  events: number;
  keepAlives: number;
  /** Each user's latest change sequence seen, when the scenario checks that no change was lost. */
  latest: Map<string, number> | undefined;
  /** Parses what a held stream received so far, and from then on each event as it comes; nothing when not held. */
  readHeld(): void;
}

/** How many blank lines end in `chunk` (LF LF: the service ends each line with LF); `afterLf`: the previous chunk ended with LF. */
function blankLinesIn(chunk: Buffer, afterLf: boolean): number {
  let found = afterLf && chunk[0] === 10 ? 1 : 0;
  for (let at = chunk.indexOf('\n\n'); at !== -1; at = chunk.indexOf('\n\n', at + 2)) found += 1;
  return found;
}

/**
 * Receives a stream's bytes without parsing them until `readHeld` (what `Subscriber.readHeld` does), and calls
 * `received` once the snapshot's last byte is in: the second blank line, after `retry:` and the snapshot event,
 * as the service writes them (its parse then checks it is whole). Not the shared parser with only JSON.parse put
 * off: its decoding and joining of 100 lines of 2 MB still gave first bytes p99 485–547 ms, against 306–310.
 */
function holdBytes(res: NodeJS.ReadableStream, onBlock: (block: SseBlock) => void, received: () => void): () => void {
  const parser = new SseParser(onBlock);
  const decoder = new StringDecoder('utf8');
  let held: Buffer[] | undefined = [];
  let blankLines = 0;
  let afterLf = false;
  res.on('data', (chunk: Buffer) => {
    if (held === undefined) {
      parser.push(decoder.write(chunk));
      return;
    }
    held.push(chunk);
    if (blankLines < 2) {
      blankLines += blankLinesIn(chunk, afterLf);
      afterLf = chunk[chunk.length - 1] === 10;
      if (blankLines >= 2) received();
    }
  });
  return () => {
    const pieces = held ?? [];
    held = undefined;
    for (const piece of pieces) parser.push(decoder.write(piece));
  };
}

export interface StreamRequest {
  path: string;
  headers: Record<string, string>;
}

/** Where a subscriber's deliveries go: `seq` is the change's sequence number. */
export type OnDelivery = (seq: number, receivedAt: number) => void;

interface EventUser {
  _id: string;
  statusText?: string;
}

export const streamAgent = () => new Agent({ keepAlive: false, maxSockets: Infinity });

/**
 * Opens one stream; resolves once its snapshot is in (parsed, or received when held), rejects when it is refused.
 * `hold`: the snapshot scenario's, where one process reads 100 snapshots of 2 MB: parsing each as it came (about
 * 30 ms) kept the bench's event loop from seeing the next streams' headers, and that was most of their "first bytes".
 */
export function subscribe(port: number, agent: Agent, request: StreamRequest, onDelivery: OnDelivery, track: boolean, hold = false): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const sentAt = performance.now();
    const subscriber: Subscriber = {
      firstByteAt: 0,
      snapshotAt: 0,
      snapshotUsers: 0,
      ended: false,
      events: 0,
      keepAlives: 0,
      latest: track ? new Map() : undefined,
      readHeld: () => undefined,
    };
    const req = httpRequest({ host: '127.0.0.1', port, agent, path: request.path, headers: request.headers }, (res) => {
      subscriber.firstByteAt = performance.now() - sentAt;
      if (res.statusCode !== 200) {
        reject(new Error(`stream refused: ${res.statusCode}`));
        res.resume();
        return;
      }
      const onBlock = (block: SseBlock): void => {
        if (block.comments.length > 0) subscriber.keepAlives += 1;
        if (block.data === undefined) return;
        const data = JSON.parse(block.data) as { users: EventUser[]; full: boolean };
        if (data.full) {
          if (!hold) subscriber.snapshotAt = performance.now() - sentAt;
          subscriber.snapshotUsers = data.users.length;
          resolve(subscriber);
          return;
        }
        subscriber.events += 1;
        const receivedAt = performance.now();
        for (const user of data.users) {
          if (user.statusText === undefined || !user.statusText.startsWith('b')) continue;
          const seq = Number(user.statusText.slice(1));
          onDelivery(seq, receivedAt);
          subscriber.latest?.set(user._id, seq);
        }
      };
      if (hold) {
        subscriber.readHeld = holdBytes(res, onBlock, () => {
          subscriber.snapshotAt = performance.now() - sentAt;
          resolve(subscriber);
        });
      } else onSseBlocks(res, onBlock);
      res.on('close', () => (subscriber.ended = true));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens `count` streams, `batch` at a time; stream k asks `requestFor(k)`. */
export async function openMany(
  port: number,
  agent: Agent,
  count: number,
  requestFor: (k: number) => StreamRequest,
  onDelivery: OnDelivery,
  options: { batch: number; track: boolean; hold?: boolean },
): Promise<{ subscribers: Subscriber[]; openMs: number }> {
  const started = performance.now();
  const subscribers: Subscriber[] = [];
  for (let first = 0; first < count; first += options.batch) {
    const batch: Promise<Subscriber>[] = [];
    for (let k = first; k < Math.min(count, first + options.batch); k += 1) batch.push(subscribe(port, agent, requestFor(k), onDelivery, options.track, options.hold));
    subscribers.push(...(await Promise.all(batch)));
  }
  return { subscribers, openMs: performance.now() - started };
}

/** One request whose whole answer is read: a refusal's status, headers and JSON. */
export function answerTo(port: number, request: StreamRequest): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, agent: false, path: request.path, headers: request.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      // A stream that opened after all: its first event is enough to know.
      if (res.statusCode === 200) setTimeout(() => req.destroy(), 200);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface Writes {
  sent: number;
  failed: number;
  /** performance.now() when change `seq` was sent (1-based). */
  sentAt: Float64Array;
  /** The last change sequence written for each user. */
  lastSeqOf: Map<string, number>;
  /** From a change being sent to its answer's end (ms): how long it took to be taken, waiting for a connection included. */
  answered: Latencies;
  /** From a change being sent to its request getting one of the writer's connections (ms): the bench's own queue. */
  waitedForConnection: Latencies;
}

/**
 * The writer's keep-alive connections: its changes stand for many clients' own requests, each on its client's own
 * connection. With 32, overload's changes were capped at 32 per answer's round trip (about 45–55 ms under that
 * load), so the service was sent 600–740 of the 1 000 a second and the rest waited in the bench's queue:
 * sent-to-answered p50 4.8–5.3 s, counted in the delivery latency (2026-12-07, docs/benchmarks.md). A change that
 * still waits for one is counted apart (Writes.waitedForConnection).
 */
const WRITER_CONNECTIONS = 256;

/**
 * The writer's connections, each opened (with `GET /healthz`) before the changes start: the clients they stand for
 * are connected already (in S and overload, each writer holds a stream). Opened by the first changes, they waited
 * for the service to accept them: libuv (1.45 on, Node 20's) accepts one connection a turn of the event loop, and a
 * turn under overload takes 20–80 ms, so the 256 took 2–11 s to be accepted and their changes were answered that
 * late (2026-12-08, docs/benchmarks.md).
 */
export async function connectedWriter(port: number): Promise<Agent> {
  const agent = new Agent({ keepAlive: true, maxSockets: WRITER_CONNECTIONS, maxFreeSockets: WRITER_CONNECTIONS });
  const opened = Array.from({ length: WRITER_CONNECTIONS }, () => new Promise<void>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, agent, path: '/healthz' }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  }));
  await Promise.all(opened);
  return agent;
}

/**
 * Makes `perSecond` changes a second for `seconds` through `POST /api/v1/users.setStatus` on `agent`'s connections
 * (connectedWriter's; destroyed once every change is answered), on a schedule that catches up if the timer runs
 * late; change `seq` is made by `writerOf(seq)` and sets status text `b<seq>`.
 * `writes` fills in as the changes are sent; `done` resolves when every one was answered.
 */
export function writeChanges(port: number, agent: Agent, perSecond: number, seconds: number, writerOf: (seq: number) => BenchUser): { writes: Writes; done: Promise<void> } {
  const total = perSecond * seconds;
  const writes: Writes = { sent: 0, failed: 0, sentAt: new Float64Array(total + 1), lastSeqOf: new Map(), answered: new Latencies(), waitedForConnection: new Latencies() };
  const inFlight: Promise<void>[] = [];
  const send = (seq: number) => {
    const writer = writerOf(seq);
    const body = JSON.stringify({ status: seq % 2 === 0 ? 'away' : 'online', message: `b${seq}` });
    writes.sentAt[seq] = performance.now();
    writes.lastSeqOf.set(writer.userId, seq);
    inFlight.push(
      new Promise((resolve) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, agent, method: 'POST', path: '/api/v1/users.setStatus', headers: { 'Content-Type': 'application/json', 'X-User-Id': writer.userId, 'X-Auth-Token': writer.token } },
          (res) => {
            if (res.statusCode !== 200) writes.failed += 1;
            res.resume();
            res.on('end', () => {
              writes.answered.add(performance.now() - writes.sentAt[seq]);
              resolve();
            });
          },
        );
        req.once('socket', () => writes.waitedForConnection.add(performance.now() - writes.sentAt[seq]));
        req.on('error', () => {
          writes.failed += 1;
          resolve();
        });
        req.end(body);
      }),
    );
  };
  const started = performance.now();
  const intervalMs = 1000 / perSecond;
  const done = new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor((performance.now() - started) / intervalMs));
      while (writes.sent < due) {
        writes.sent += 1;
        send(writes.sent);
      }
      if (writes.sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  }).then(async () => {
    await Promise.all(inFlight);
    agent.destroy();
  });
  return { writes, done };
}

/** Latencies as they come, in a growing typed array; percentiles at the end. */
export class Latencies {
  private values = new Float64Array(1 << 16);
  count = 0;

  add(ms: number): void {
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count] = ms;
    this.count += 1;
  }

  percentiles(): { p50: number; p99: number; max: number } {
    const sorted = this.values.subarray(0, this.count).sort();
    const at = (p: number) => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
    return { p50: at(50), p99: at(99), max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1] };
  }
}
