import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import pino, { type Logger } from 'pino';
import { createApp, type AppConfig, type PresenceApp } from '../../../src/app';
import type { Store } from '../../../src/domain/ports/store';
import { SqliteStore } from '../../../src/storage/sqlite/sqliteStore';
import { withTimeout } from '../../../src/storage/storeWrappers';
import { FakeClock } from '../../support/fakeClock';
import { tempDataDir } from '../../support/stores';
import type { UserRecord } from '../../../src/domain/ports/records';
import { seedInto, TEST_CONFIG, type SeededUser } from '../../support/testApp';
import { FaultyStore } from './faultyStore';

/** Everything pino writes, kept in memory so a test can read (and grep) the service's logs. */
export interface CapturedLogs {
  logger: Logger;
  text(): string;
  records(): Record<string, unknown>[];
}

export function captureLogs(level: pino.LevelWithSilent = 'trace'): CapturedLogs {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = pino({ level, base: { service: 'presence' } }, stream);
  const text = () => chunks.join('');
  return {
    logger,
    text,
    records: () => text().split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/**
 * Holds every counted account attempt of a login (`login:` keys, counted just before its password check) until
 * `release()`: once `arrived()` says all the logins sent are waiting, releasing lets them all reach the password
 * workers in the same turn of the event loop, so how many are checked and how many refused depends on the
 * queue's size alone, not on the machine's load.
 */
export function gateLoginChecks(h: Harness): { arrived(): number; release(): void } {
  let arrived = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const count = h.inner.countLoginAttempt.bind(h.inner);
  h.inner.countLoginAttempt = async (key, now, windowMs, keysKept) => {
    const counted = await count(key, now, windowMs, keysKept);
    if (key.startsWith('login:')) {
      arrived += 1;
      await gate;
    }
    return counted;
  };
  return { arrived: () => arrived, release };
}

export interface Harness {
  app: Express;
  /** The embedded store underneath, untouched by faults. */
  inner: SqliteStore;
  /** Switch faults on and off here. */
  faulty: FaultyStore;
  /** What the app talks to: the faulty store behind the production timeout guard. */
  store: Store;
  clock: FakeClock;
  seed(fields?: Partial<UserRecord>): Promise<SeededUser>;
}

export interface HarnessOptions {
  config?: Partial<AppConfig>;
  logger?: Logger;
  storeTimeoutMs?: number;
}

const opened: { store: SqliteStore; remove(): void }[] = [];
/** Apps built for the whole file (in a beforeAll), and apps built for the test running now. */
const apps: PresenceApp[] = [];
const testApps: PresenceApp[] = [];
let inTest = false;
// Registered at the top, so these run before and after every test's own hooks: an app built in a test or its
// beforeEach has its password workers ended once the test is done, not at the end of the file.
beforeEach(() => {
  inTest = true;
});
afterEach(async () => {
  inTest = false;
  await Promise.all(testApps.splice(0).map((app) => app.closeWorkers()));
});
// The stores this test file opened are closed, and their directories removed, once its tests are done; the
// remaining apps' password workers end first.
afterAll(async () => {
  await Promise.all(apps.splice(0).map((app) => app.closeWorkers()));
  for (const { store, remove } of opened.splice(0)) {
    await store.close();
    remove();
  }
});

/** The embedded store on a data file of its own, closed and removed after the test file. */
export function embeddedStore(): SqliteStore {
  const dataDir = tempDataDir();
  const store = SqliteStore.open({ dataDir: dataDir.dir });
  opened.push({ store, remove: dataDir.remove });
  return store;
}

/**
 * The app as production builds it (createApp over withTimeout), on the embedded store, wrapped so it can be made to
 * hang or fail. Users are seeded straight into the inner store so that seeding works while the store is "down".
 */
export function buildHarness(options: HarnessOptions = {}): Harness {
  const inner = embeddedStore();
  const faulty = new FaultyStore(inner);
  const store = withTimeout(faulty, options.storeTimeoutMs ?? 200);
  const clock = new FakeClock();
  const app = createApp({
    store,
    clock,
    config: { ...TEST_CONFIG, ...options.config },
    logger: options.logger ?? pino({ level: 'silent' }),
  });
  (inTest ? testApps : apps).push(app);
  return { app, inner, faulty, store, clock, seed: (fields) => seedInto(inner, clock, fields) };
}

export interface Listening {
  server: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** A real HTTP server on a free loopback port. */
export async function listen(app: Express): Promise<Listening> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
