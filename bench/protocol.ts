/** Messages between bench/run.ts and its child processes (over the Node IPC channel). */

/** A seeded user whose login token the load generator may use. */
export interface BenchUser {
  userId: string;
  token: string;
}

/** The name, username and UTC offset of the i-th seeded user, wherever a bench process needs them. */
export function benchProfile(i: number): { username: string; name: string; utcOffset: number } {
  return { username: `user${i}`, name: `Bench User ${i}`, utcOffset: (i % 25) - 12 };
}

export interface ServiceReady {
  type: 'ready';
  port: number;
  seededUsers: number;
  onlineUsers: number;
  users: BenchUser[];
  /** Every seeded user's id, in seeding order (user i is online when i is even, or always with BENCH_ALL_ONLINE). */
  ids: string[];
  /** STREAM_MAX_PER_INSTANCE as the service read it (by default, from its open-file limit). */
  maxStreams: number;
  seedMs: number;
  /** process.memoryUsage() right after seeding and a full garbage collection (bytes). */
  rssAfterSeed: number;
  heapUsedAfterSeed: number;
}

export interface MemoryReport {
  type: 'memory';
  rss: number;
  /** Highest RSS sampled (every 200 ms) since the service was ready. */
  peakRss: number;
  heapUsed: number;
  heapTotal: number;
  /** Memory outside the JS heap (Buffers and the like). */
  external: number;
  /** Heap in use and RSS right after a full garbage collection, made after the figures above were read. */
  heapUsedAfterGc: number;
  rssAfterGc: number;
  /** CPU time the service has used since it started, user and system (µs), read with the figures before the GC. */
  cpuMicros: number;
  /** The same, read after that GC: the bench's forced collection is not the service's work. */
  cpuMicrosAfterGc: number;
  /** The main thread's share of the two figures above (µs); null where /proc does not tell it. */
  mainThreadCpuMicros: number | null;
  mainThreadCpuMicrosAfterGc: number | null;
  /** Major garbage collections V8 made on its own since the child began answering measurements (the bench's forced ones not counted). */
  majorGcs: number;
}

/** The service's process.hrtime (µs) when asked: where the profiled part of a run begins. */
export interface MarkReport {
  type: 'mark';
  atUs: number;
}

export interface BaselineReady {
  type: 'ready';
  port: number;
}

/** What a baseline serves: the same body bytes (and content type) as the service's answer. */
export interface BaselineServe {
  type: 'serve';
  body: string;
  contentType: string;
  /** When set, a request whose If-None-Match equals it is answered 304 with no body, as the service does. */
  etag?: string;
}

export type ParentMessage = BaselineServe | FloorServe | { type: 'memory' } | { type: 'mark' } | { type: 'stop' };

/** Sends a message to the parent, and exits when the parent has gone (nothing may outlive the bench). */
export function toParent(message: object): void {
  if (process.send === undefined || !process.connected) process.exit(3);
  process.send(message);
}

/**
 * Every child calls this first: it exits when the IPC channel closes (the parent died or is done) and in any
 * case after `maxMs`, so no process of the bench can be left running.
 */
export function boundChildLifetime(maxMs: number): void {
  if (process.send === undefined) {
    process.stderr.write('this is a child process of bench/run.ts; run `npm run bench`\n');
    process.exit(2);
  }
  process.on('disconnect', () => process.exit(0));
  setTimeout(() => {
    process.stderr.write(`bench child ${process.pid} reached its ${maxMs} ms time limit; exiting\n`);
    process.exit(4);
  }, maxMs).unref();
}

export function childMaxMsFromEnv(): number {
  const value = Number(process.env.BENCH_CHILD_MAX_MS);
  return Number.isFinite(value) && value > 0 ? value : 30 * 60 * 1000;
}

/** What the fan-out floor serves: the seeded users (in seeding order) and which of them are online. */
export interface FloorServe {
  type: 'floor';
  ids: string[];
  allOnline: boolean;
}
