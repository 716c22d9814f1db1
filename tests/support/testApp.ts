import pino from 'pino';
import { createApp, type AppConfig, type PresenceApp } from '../../src/app';
import { hashLoginToken, hashPassword, newLoginToken, newUserId } from '../../src/domain/rules/accounts';
import type { PresenceStore } from '../../src/domain/ports/store';
import type { UserRecord } from '../../src/domain/ports/records';
import type { Clock } from '../../src/domain/ports/clock';
import { FakeClock } from './fakeClock';
import type { StoreKind, TestStore } from './stores';

export const TEST_CONFIG: AppConfig = {
  deltaWindowSeconds: 600,
  deltaOverlapSeconds: 2,
  presenceTtlSeconds: 900,
  cacheMaxAgeMs: 2000,
  authCacheMaxEntries: 1000,
  corsOrigins: [],
  loginRateLimit: 1000,
  loginRateWindowSeconds: 60,
  trustProxy: false,
  streamPollMs: 20,
  streamHeartbeatSeconds: 15,
  streamRetryMs: 3000,
  streamMaxPerUser: 10,
  streamMaxPerInstance: 20000,
  streamMaxBufferBytes: 1048576,
  streamTicketSeconds: 30,
  streamRevalidateMs: 4000,
  metricsToken: undefined,
  slowRequestMs: 1000,
  loginExpirationDays: 90,
  rocketChatScanMs: 1000,
};

export const TEST_PASSWORD = 'correct horse battery staple';
let passwordHash: Promise<string> | undefined;

export interface SeededUser {
  user: UserRecord;
  token: string;
  /** Rocket.Chat's auth headers for this user. */
  headers: { 'X-User-Id': string; 'X-Auth-Token': string };
  /** pnut's auth header for this user. */
  bearer: { Authorization: string };
}

export interface TestApp {
  app: PresenceApp;
  store: TestStore;
  clock: FakeClock;
  /** Inserts a user straight into the store, with a login token and the password TEST_PASSWORD. */
  seedUser(fields?: Partial<UserRecord>): Promise<SeededUser>;
  close(): Promise<void>;
}

let counter = 0;

/** Inserts a user straight into a store, with a login token and TEST_PASSWORD (or `password`), as SeededUser. */
export async function seedInto(store: PresenceStore, clock: Clock, fields: Partial<UserRecord> = {}, password?: string): Promise<SeededUser> {
  passwordHash ??= hashPassword(TEST_PASSWORD);
  counter += 1;
  const token = newLoginToken();
  const user: UserRecord = {
    _id: newUserId(),
    username: `user${counter}`,
    name: `User ${counter}`,
    utcOffset: 0,
    active: true,
    roles: ['user'],
    status: 'offline',
    statusText: '',
    presenceText: null,
    presenceExpiresAt: null,
    lastSeenAt: null,
    presenceChangedAt: null,
    presenceRevision: 0,
    createdAt: clock.now(),
    ...fields,
    services: {
      password: { bcrypt: password === undefined ? await passwordHash : await hashPassword(password) },
      resume: { loginTokens: [{ when: clock.now(), hashedToken: hashLoginToken(token) }] },
    },
  };
  await store.createUser(user);
  return {
    user,
    token,
    headers: { 'X-User-Id': user._id, 'X-Auth-Token': token },
    bearer: { Authorization: `Bearer ${token}` },
  };
}

/** The app as production builds it, on a fresh store of the given kind, with a fake clock and a silent logger. */
export async function buildTestApp(kind: StoreKind, config: Partial<AppConfig> = {}): Promise<TestApp> {
  const store = await kind.create();
  const clock = new FakeClock();
  const app = createApp({ store, clock, config: { ...TEST_CONFIG, ...config }, logger: pino({ level: 'silent' }) });
  const close = async () => {
    app.closeStreams();
    await store.dispose();
  };
  return { app, store, clock, seedUser: (fields) => seedInto(store, clock, fields), close };
}

/**
 * A second instance of the service over the same data as `first` (a second MongoDB connection; for the embedded
 * store, the same store) and on the same clock, as two instances behind one load balancer.
 */
export async function buildSecondInstance(first: TestApp, config: Partial<AppConfig> = {}): Promise<{ app: PresenceApp; store: PresenceStore; close(): Promise<void> }> {
  const store = await first.store.twin();
  const app = createApp({ store, clock: first.clock, config: { ...TEST_CONFIG, ...config }, logger: pino({ level: 'silent' }) });
  const close = async () => {
    app.closeStreams();
    await store.dispose();
  };
  return { app, store, close };
}
