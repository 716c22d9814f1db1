import { PresenceFeed, type FeedBatch } from '../../../src/domain/services/presenceFeed';
import type { PresenceStore } from '../../../src/domain/ports/presenceStore';
import type { UserRecord } from '../../../src/domain/ports/records';
import { rocketChatPresenceOf } from '../../../src/domain/rules/rocketChatPresence';
import { SqliteStore } from '../../../src/storage/sqlite/sqliteStore';
import { FakeClock } from '../../support/fakeClock';
import { FakeTimers } from '../../support/fakeTimers';
import { tempDataDir } from '../../support/stores';
import { userRecord } from '../../support/testApp';

const KEEP_MS = 600_000;

describe('PresenceFeed', () => {
  let clock: FakeClock;
  let timers: FakeTimers;
  let dataDir: ReturnType<typeof tempDataDir>;
  let store: SqliteStore;
  let feed: PresenceFeed;
  const ids = (users: UserRecord[] | undefined) => users?.map((user) => user.id).sort();

  /** What a stream joining at `position` would catch up with. */
  function usersChangedAfter(position: number): UserRecord[] {
    const joined = feed.join(position, () => undefined);
    joined.leave();
    return joined.caughtUp.users;
  }

  /** Writes `userId` online for `ttlMs`, stamped `stampedMsAgo` before the clock's now. */
  async function change(userId: string, { ttlMs = 900_000, stampedMsAgo = 0 } = {}): Promise<void> {
    const current = (await store.findUserById(userId)) as UserRecord;
    const now = clock.now();
    const stamp = new Date(now.getTime() - stampedMsAgo + current.presenceRevision);
    const status = current.presenceRevision % 2 === 0 ? 'online' : 'away';
    await store.writePresence(userId, { presenceRevision: current.presenceRevision, rocketChat: rocketChatPresenceOf(current) }, {
      status, statusText: '', presenceText: null, presenceSeen: rocketChatPresenceOf({ ...current, status, statusText: '' }),
      presenceExpiresAt: new Date(now.getTime() + ttlMs), lastSeenAt: now, presenceChangedAt: stamp, updatedAt: now,
    });
  }

  function feedOver(over: PresenceStore, recordExternalWrites?: (since: Date) => Promise<void>): PresenceFeed {
    return new PresenceFeed(over, clock, timers, { keepMs: KEEP_MS, pollIntervalMs: 10 }, recordExternalWrites);
  }

  beforeEach(async () => {
    clock = new FakeClock('2026-06-01T00:00:00.000Z');
    timers = new FakeTimers(clock);
    dataDir = tempDataDir();
    store = SqliteStore.open({ dataDir: dataDir.dir });
    for (const id of ['a', 'b', 'c']) await store.createUser(userRecord({ id: id, username: id }));
    feed = feedOver(store);
  });
  afterEach(async () => {
    feed.stop();
    await store.close();
    dataDir.remove();
  });

  it('reports each change once, from its first read on, with the time every change before it was read', async () => {
    await change('a');
    expect(await feed.sync()).toBe(1);
    expect(ids(usersChangedAfter(0))).toEqual(['a']);
    await change('b');
    clock.advance(1);
    expect(await feed.sync()).toBe(2);
    expect(ids(usersChangedAfter(1))).toEqual(['b']);
    expect(feed.lastReadAtMs).toBe(clock.now().getTime());
    clock.advance(1);
    expect(await feed.sync()).toBe(2);
    expect(usersChangedAfter(2)).toEqual([]);
    expect(feed.lastReadAtMs).toBe(clock.now().getTime());
  });

  it('records the writes of other programs (Rocket.Chat) before each read, from the same point it reads from', async () => {
    const recordedFrom: number[] = [];
    feed = feedOver(Object.assign(Object.create(store) as SqliteStore, { lateWriteWindowMs: 2000 }), async (since) => {
      recordedFrom.push(since.getTime());
      await change('c');
    });
    const start = clock.now().getTime();
    expect(await feed.sync()).toBe(1);
    expect(ids(usersChangedAfter(0))).toEqual(['c']);
    clock.advance(500);
    await feed.sync();
    expect(recordedFrom).toEqual([start - 2000, start - 2000]);
  });

  it('gives the latest record of a user that changed twice after a position', async () => {
    await feed.sync();
    await change('a');
    await feed.sync();
    await change('a');
    await feed.sync();
    const [user] = usersChangedAfter(0);
    expect(user.presenceRevision).toBe(2);
    expect(ids(usersChangedAfter(1))).toEqual(['a']);
  });

  it('reports a write that lands late, inside the store\'s late-write window, exactly once', async () => {
    const lateStore = Object.assign(Object.create(store) as SqliteStore, { lateWriteWindowMs: 10_000 });
    feed = feedOver(lateStore);
    await feed.sync();
    clock.advance(3000);
    await feed.sync();
    // Stamped before the last read started, visible only now: a write that was in flight during that read.
    await change('c', { stampedMsAgo: 4000 });
    clock.advance(500);
    const position = await feed.sync();
    expect(ids(usersChangedAfter(position - 1))).toEqual(['c']);
    clock.advance(500);
    expect(await feed.sync()).toBe(position);
  });

  it('reports an expiry when a read after it comes, stamped with the expiry', async () => {
    await change('a', { ttlMs: 5000 });
    expect(await feed.sync()).toBe(1);
    clock.advance(4999);
    expect(await feed.sync()).toBe(1);
    clock.advance(1);
    expect(await feed.sync()).toBe(2);
    expect(ids(usersChangedAfter(1))).toEqual(['a']);
  });

  it('makes a caller who asks during a read wait for a read that starts after it asked', async () => {
    let hold: Promise<void> | undefined;
    let release!: () => void;
    const holding = Object.assign(Object.create(store) as SqliteStore, {
      findUsersChangedSince: async (since: Date, now: Date) => {
        const found = await store.findUsersChangedSince(since, now);
        await hold;
        return found;
      },
    });
    feed = feedOver(holding);
    await feed.sync();
    hold = new Promise<void>((resolve) => (release = resolve));
    const early = feed.sync();
    await change('b');
    const late = feed.sync();
    hold = undefined;
    release();
    expect(await early).toBe(0);
    expect(await late).toBe(1);
  });

  it('keeps what it read for `keepMs`, then lets it go', async () => {
    await change('a');
    await feed.sync();
    expect(ids(usersChangedAfter(0))).toEqual(['a']);
    clock.advance(KEEP_MS + 1);
    await change('b');
    await feed.sync();
    expect(ids(usersChangedAfter(0))).toEqual(['b']);
  });

  it('calls its listeners with each batch, reading by itself every poll interval while any listen', async () => {
    await feed.sync();
    const batches: { ids: string[]; readAtMs: number }[] = [];
    const joined = feed.join(feed.current, (batch) => batches.push({ ids: batch.users.map((user) => user.id), readAtMs: batch.readAtMs }));
    await change('c', { ttlMs: 1000 });
    clock.advance(1000);
    // The poll due meanwhile runs now, as an interval late for its turn would.
    const readAtMs = clock.now().getTime();
    await timers.advanceAsync(10);
    joined.leave();
    expect(timers.pending).toBe(0);
    await timers.advanceAsync(50);
    expect(batches).toEqual([{ ids: ['c'], readAtMs }]);
  });

  it('joins at a position with what changed after it and every batch from then on, none twice, none missed', async () => {
    await change('a');
    const position = await feed.sync();
    await change('b');
    clock.advance(1);
    await feed.sync();
    const heard: string[][] = [];
    const joined = feed.join(position, (batch) => heard.push(ids(batch.users) as string[]));
    expect(joined.caughtUp).toEqual({ position: position + 1, readAtMs: clock.now().getTime(), users: [expect.objectContaining({ id: 'b' })] });
    await change('c');
    clock.advance(1);
    await feed.sync();
    expect(heard).toEqual([['c']]);
    joined.leave();
  });

  it('calls a listener joined several times once per batch, until each join has left, then stops polling', async () => {
    const heard: number[] = [];
    const listener = (batch: FeedBatch): void => {
      heard.push(batch.position);
    };
    const first = feed.join(await feed.sync(), listener);
    const second = feed.join(feed.current, listener);
    await change('a');
    await feed.sync();
    first.leave();
    first.leave();
    await change('b');
    clock.advance(1);
    await feed.sync();
    expect(heard).toEqual([1, 2]);
    expect(timers.pending).toBe(1);
    second.leave();
    expect(timers.pending).toBe(0);
    await change('c');
    clock.advance(1);
    await feed.sync();
    expect(heard).toEqual([1, 2]);
  });
});
