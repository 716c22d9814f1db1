import bcrypt from 'bcryptjs';
import pino from 'pino';
import { createApp, type AppConfig, type PresenceApp } from '../../src/app';
import { BCRYPT_ROUNDS, NEW_USER_PRESENCE } from '../../src/domain/rules/accounts';
import { hashLoginToken, newLoginToken, newUserId } from '../../src/domain/services/credentials';
import { preHashPassword } from '../../src/domain/services/passwords';
import type { AccountStore } from '../../src/domain/ports/accountStore';
import type { Store } from '../../src/domain/ports/store';
import type { UserRecord } from '../../src/domain/ports/records';
import type { Clock } from '../../src/domain/ports/clock';
import { loadConfig } from '../../src/config/loadConfig';
import { FakeClock } from './fakeClock';
import { FakeTimers } from './fakeTimers';
import { storeKinds, type StoreKind, type TestStore } from './stores';

/**
 * The production defaults (loadConfig of an empty environment, on a process that may hold 20 000 files), but what a
 * test needs otherwise: a login limit no suite meets by accident, streams polled often, a small token cache.
 */
export const TEST_CONFIG: AppConfig = {
  ...loadConfig({}, { openFiles: 20_000 }),
  loginRateLimit: 1000,
  streamPollMs: 20,
  authCacheMaxEntries: 1000,
};

export const TEST_PASSWORD = 'correct horse battery staple';
let passwordHash: Promise<string> | undefined;

/** A stored hash as the service makes one (bcrypt, cost 10, of the SHA-256 hex digest), made here for seeding. */
function storedHashOf(password: string): Promise<string> {
  return bcrypt.hash(preHashPassword(password), BCRYPT_ROUNDS);
}

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
  /** The app's timers on `clock`, when built with `fakeTimers`: its keep-alives, polls and rounds wait for the test. */
  timers: FakeTimers | undefined;
  /** Inserts a user straight into the store, with a login token and the password TEST_PASSWORD. */
  seedUser(fields?: Partial<UserRecord>): Promise<SeededUser>;
  close(): Promise<void>;
}

let counter = 0;

/**
 * A user as this service creates one (offline, never set a presence, no credentials), with a fresh id and a
 * username of its own: the one user factory of the suites; `fields` replace any of it.
 */
export function userRecord(fields: Partial<UserRecord> = {}): UserRecord {
  counter += 1;
  return {
    id: newUserId(),
    username: `user${counter}`,
    name: `User ${counter}`,
    utcOffset: 0,
    active: true,
    roles: ['user'],
    ...NEW_USER_PRESENCE,
    createdAt: new Date('2026-01-01T00:00:00.000Z'),
    ...fields,
  };
}

/** Inserts a user straight into a store, with a login token and TEST_PASSWORD (or `password`), as SeededUser. */
export async function seedInto(store: AccountStore, clock: Clock, fields: Partial<UserRecord> = {}, password?: string): Promise<SeededUser> {
  passwordHash ??= storedHashOf(TEST_PASSWORD);
  const token = newLoginToken();
  const user = userRecord({
    createdAt: clock.now(),
    ...fields,
    credentials: {
      passwordHash: password === undefined ? await passwordHash : await storedHashOf(password),
      loginTokens: [{ when: clock.now(), hashedToken: hashLoginToken(token) }],
    },
  });
  await store.createUser(user);
  return {
    user,
    token,
    headers: { 'X-User-Id': user.id, 'X-Auth-Token': token },
    bearer: { Authorization: `Bearer ${token}` },
  };
}

export interface TestAppOptions {
  /** The app waits on FakeTimers (`timers`) instead of the event loop's: nothing it schedules runs by itself. */
  fakeTimers?: boolean;
}

/** The app as production builds it, on a fresh store of the given kind, with a fake clock and a silent logger. */
export async function buildTestApp(kind: StoreKind, config: Partial<AppConfig> = {}, { fakeTimers = false }: TestAppOptions = {}): Promise<TestApp> {
  const store = await kind.create();
  const clock = new FakeClock();
  const timers = fakeTimers ? new FakeTimers(clock) : undefined;
  const app = createApp({ store, clock, timers, config: { ...TEST_CONFIG, ...config }, logger: pino({ level: process.env.TEST_LOG ?? 'silent' }) });
  const close = async () => {
    app.closeStreams();
    await app.closeWorkers();
    await store.dispose();
  };
  return { app, store, clock, timers, seedUser: (fields) => seedInto(store, clock, fields), close };
}

/**
 * A second instance of the service over the same data as `first` (a second MongoDB connection; for the embedded
 * store, the same store) and on the same clock, as two instances behind one load balancer.
 */
export async function buildSecondInstance(first: TestApp, config: Partial<AppConfig> = {}): Promise<{ app: PresenceApp; store: Store; close(): Promise<void> }> {
  const store = await first.store.twin();
  const app = createApp({ store, clock: first.clock, config: { ...TEST_CONFIG, ...config }, logger: pino({ level: 'silent' }) });
  const close = async () => {
    app.closeStreams();
    await app.closeWorkers();
    await store.dispose();
  };
  return { app, store, close };
}

/**
 * One describe block per store kind the suites run on (the embedded store always, MongoDB when there is one),
 * titled `<title> (<kind> store)`.
 */
export function describeEachStore(title: string, body: (kind: StoreKind) => void): void {
  describe.each(storeKinds())(`${title} ($name store)`, body);
}

/**
 * A fresh test app on `kind` for every test of the enclosing describe, closed after it. Read `.t` inside tests and
 * hooks (it is the current test's app).
 */
export function appPerTest(kind: StoreKind, config: Partial<AppConfig> = {}, options: TestAppOptions = {}): { readonly t: TestApp } {
  let current: TestApp | undefined;
  beforeEach(async () => {
    current = await buildTestApp(kind, config, options);
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return {
    get t(): TestApp {
      if (current === undefined) throw new Error('appPerTest: read .t inside a test or a hook');
      return current;
    },
  };
}

/**
 * appPerTest's app as a TestApp to hold at describe level (`const t = currentApp(appPerTest(kind))`): each member
 * reads the current test's app, so it too may only be used inside tests and hooks.
 */
export function currentApp(perTest: { readonly t: TestApp }): TestApp {
  return {
    get app() {
      return perTest.t.app;
    },
    get store() {
      return perTest.t.store;
    },
    get clock() {
      return perTest.t.clock;
    },
    get timers() {
      return perTest.t.timers;
    },
    seedUser: (fields) => perTest.t.seedUser(fields),
    close: () => perTest.t.close(),
  };
}

/** Seeds one user per argument (its fields, `{}` for none), in order, into `t`. */
export async function seedUsers(t: TestApp, ...fields: Partial<UserRecord>[]): Promise<SeededUser[]> {
  const users: SeededUser[] = [];
  for (const each of fields) users.push(await t.seedUser(each));
  return users;
}

/**
 * Users seeded into `t` (currentApp's) before each test, one per entry of `fields`, in order, after the hooks
 * declared before this call: `const { alice, bob } = usersPerTest(t, { alice: { username: 'alice' }, bob: {} })`.
 * Each is the current test's user (read its members inside tests and hooks only).
 */
export function usersPerTest<N extends string>(t: TestApp, fields: Record<N, Partial<UserRecord>>): Record<N, SeededUser> {
  const names = Object.keys(fields) as N[];
  const current = new Map<N, SeededUser>();
  beforeEach(async () => {
    current.clear();
    for (const name of names) current.set(name, await t.seedUser(fields[name]));
  });
  const read = (name: N): SeededUser => {
    const seeded = current.get(name);
    if (seeded === undefined) throw new Error(`usersPerTest: read ${name} inside a test or a hook`);
    return seeded;
  };
  const forward = (name: N): SeededUser => ({
    get user() {
      return read(name).user;
    },
    get token() {
      return read(name).token;
    },
    get headers() {
      return read(name).headers;
    },
    get bearer() {
      return read(name).bearer;
    },
  });
  return Object.fromEntries(names.map((name) => [name, forward(name)])) as Record<N, SeededUser>;
}
