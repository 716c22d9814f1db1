import bcrypt from 'bcryptjs';
import type { PasswordHasher } from '../../src/domain/ports/passwordHasher';
import { AccountService, type AccountOptions } from '../../src/domain/services/accountService';
import { Passwords } from '../../src/domain/services/passwords';
import { PresenceFeed } from '../../src/domain/services/presenceFeed';
import { PresenceService, type PresenceOptions } from '../../src/domain/services/presenceService';
import type { Store } from '../../src/domain/ports/store';
import { SqliteStore } from '../../src/storage/sqlite/sqliteStore';
import { FakeClock } from './fakeClock';
import { FakeTimers } from './fakeTimers';
import { tempDataDir } from './stores';
import { seedInto, type SeededUser } from './testApp';
import type { UserRecord } from '../../src/domain/ports/records';

/** bcryptjs on the test's own thread: unit tests of the services need no worker pool. */
export const inlineHasher: PasswordHasher = {
  hash: (secret, rounds) => bcrypt.hash(secret, rounds),
  compare: (secret, storedHash) => bcrypt.compare(secret, storedHash),
  close: async () => undefined,
};

export const PRESENCE_OPTIONS: PresenceOptions = { windowMs: 600_000, overlapMs: 2000, presenceTtlMs: 900_000 };
export const ACCOUNT_OPTIONS: AccountOptions = { authCacheTtlMs: 2000, authCacheMaxEntries: 100, loginExpirationDays: 90, loginAttemptLimit: 5, loginAttemptWindowMs: 60_000 };

/** The domain services as app.ts wires them, over an embedded store, on a fake clock and its timers. */
export interface DomainServices {
  clock: FakeClock;
  timers: FakeTimers;
  store: SqliteStore;
  feed: PresenceFeed;
  presence: PresenceService;
  accounts: AccountService;
  seedUser(fields?: Partial<UserRecord>): Promise<SeededUser>;
  close(): Promise<void>;
}

/**
 * Builds the services; `over` may wrap the store (a read that waits, a write that fails) for the feed and the
 * presence service.
 */
export function buildDomainServices({ accountOptions = ACCOUNT_OPTIONS, over = (store: Store) => store }: { accountOptions?: AccountOptions; over?: (store: SqliteStore) => Store } = {}): DomainServices {
  const clock = new FakeClock();
  const timers = new FakeTimers(clock);
  const dataDir = tempDataDir();
  const store = SqliteStore.open({ dataDir: dataDir.dir });
  const wrapped = over(store);
  const feed = new PresenceFeed(wrapped, clock, timers, { keepMs: 60_000, pollIntervalMs: 1000 }, undefined);
  const presence = new PresenceService(wrapped, clock, PRESENCE_OPTIONS, feed);
  const accounts = new AccountService(store, clock, accountOptions, new Passwords(inlineHasher));
  return {
    clock,
    timers,
    store,
    feed,
    presence,
    accounts,
    seedUser: (fields) => seedInto(store, clock, fields),
    close: async () => {
      feed.stop();
      await store.close();
      dataDir.remove();
    },
  };
}
