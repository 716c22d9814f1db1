import type { Identity } from '../../../src/domain/rules/accounts';
import type { StreamEvent, StreamSink } from '../../../src/domain/ports/streams';
import { PresenceStreams, type StreamConnections, type StreamLimits } from '../../../src/domain/services/presenceStreams';
import { StreamsUnavailableError, TooManyStreamsError } from '../../../src/domain/errors';
import type { SqliteStore } from '../../../src/storage/sqlite/sqliteStore';
import type { UserRecord } from '../../../src/domain/ports/records';
import { rocketChatPresenceOf } from '../../../src/domain/rules/rocketChatPresence';
import { buildDomainServices, type DomainServices } from '../../support/domainServices';
import type { SeededUser } from '../../support/testApp';

const DAY_MS = 86_400_000;

const LIMITS: StreamLimits = {
  maxPerUser: 3,
  maxPerInstance: 400,
  keepAliveMs: 20_000,
  revalidateMs: 5000,
  delivery: { maxWindowMs: 500, busyShare: 0.4, sliceMs: 20 },
};

/** A sink that keeps what the stream wrote to it. */
class RecordingSink implements StreamSink {
  readonly events: StreamEvent[] = [];
  keepAlives = 0;
  closed = false;

  send(event: StreamEvent): void {
    this.events.push(event);
  }

  keepAlive(): void {
    this.keepAlives += 1;
  }

  close(): void {
    this.closed = true;
  }

  keepsUp(): boolean {
    return true;
  }

  onceKeptUp(): void {}

  /** Each event as `full` and the `user:status` of its readings, in order. */
  get seen(): string[][] {
    return this.events.map((event) => [event.full ? 'full' : 'changes', ...event.readings.map((reading) => `${reading.user.username}:${reading.status}`)]);
  }
}

/** Stream connections as ConnectionService keeps them, reduced to who opened and closed which. */
class RecordingConnections implements StreamConnections {
  readonly opened: string[] = [];
  readonly closed: string[] = [];

  async streamOpened(identity: Identity): Promise<string> {
    this.opened.push(identity.userId);
    return `connection-${this.opened.length}`;
  }

  async streamClosed(connectionId: string): Promise<void> {
    this.closed.push(connectionId);
  }
}

describe('PresenceStreams (fake clock)', () => {
  let s: DomainServices;
  let streams: PresenceStreams;
  let connections: RecordingConnections;
  /** Set by a test to run once inside the present-list read, between the stream's position and its join. */
  let duringSnapshot: (() => Promise<void>) | undefined;

  beforeEach(() => {
    duringSnapshot = undefined;
    s = buildDomainServices({
      over: (store) => Object.assign(Object.create(store) as SqliteStore, {
        findPresentCandidates: async (now: Date, statuses: readonly string[]) => {
          const found = await store.findPresentCandidates(now, statuses);
          const during = duringSnapshot;
          duringSnapshot = undefined;
          await during?.();
          return found;
        },
      }),
    });
    connections = new RecordingConnections();
    streams = new PresenceStreams(s.presence, s.accounts, s.clock, s.timers, LIMITS, undefined, undefined, connections);
  });
  afterEach(async () => {
    streams.closeAll();
    await s.close();
  });

  async function identityOf(user: SeededUser): Promise<Identity> {
    return s.accounts.authenticate(user.token, undefined);
  }

  async function online(user: SeededUser, status: 'online' | 'away' | 'busy' = 'online'): Promise<void> {
    const identity = await identityOf(user);
    await s.presence.setStatus(identity, identity.userId, { status });
  }

  async function open(user: SeededUser, ids?: string[]): Promise<{ sink: RecordingSink; stop: () => void }> {
    const sink = new RecordingSink();
    const stop = await streams.open(await identityOf(user), ids, undefined, sink);
    return { sink, stop };
  }

  it('opens with every present user, then sends each change once, as it is read', async () => {
    const [ann, bob] = [await s.seedUser({ username: 'ann' }), await s.seedUser({ username: 'bob' })];
    await online(ann);
    const { sink } = await open(ann);
    expect(sink.seen).toEqual([['full', 'ann:online']]);
    await online(bob, 'away');
    await s.timers.advanceAsync(0);
    expect(sink.seen).toEqual([['full', 'ann:online'], ['changes', 'bob:away']]);
    await s.timers.advanceAsync(3000);
    expect(sink.events).toHaveLength(2);
  });

  it('joins the feed where its snapshot was read: a change made during the read comes once, in its catch-up', async () => {
    const [ann, bob, cat] = [await s.seedUser({ username: 'ann' }), await s.seedUser({ username: 'bob' }), await s.seedUser({ username: 'cat' })];
    const watcher = await open(cat);
    // A change after the watcher's list: the next stream reads the present list itself.
    await online(ann);
    await s.timers.advanceAsync(0);
    // Made after the list was read and read by the feed before the new stream joins it. The round that takes it to
    // the watcher is still waiting for its turn when the new stream joins: that stream has it from its catch-up.
    duringSnapshot = async () => {
      s.clock.advance(1);
      await online(bob, 'busy');
      await s.feed.sync();
    };
    const { sink } = await open(ann);
    expect(duringSnapshot).toBeUndefined();
    expect(sink.seen).toEqual([['full', 'ann:online'], ['changes', 'bob:busy']]);
    await s.timers.advanceAsync(3000);
    expect(sink.events).toHaveLength(2);
    expect(watcher.sink.seen).toEqual([['full'], ['changes', 'ann:online'], ['changes', 'bob:busy']]);
  });

  it('writes keep-alives twice a heartbeat while any stream is open, and none once all have closed', async () => {
    const ann = await s.seedUser();
    const { sink, stop } = await open(ann);
    await s.timers.advanceAsync(LIMITS.keepAliveMs / 2 - 1);
    expect(sink.keepAlives).toBe(0);
    await s.timers.advanceAsync(1);
    expect(sink.keepAlives).toBe(1);
    await s.timers.advanceAsync(LIMITS.keepAliveMs);
    expect(sink.keepAlives).toBe(3);
    stop();
    expect(s.timers.pending).toBe(0);
    await s.timers.advanceAsync(LIMITS.keepAliveMs);
    expect(sink.keepAlives).toBe(3);
  });

  it('closes, at the next check, the streams whose login token was revoked elsewhere, and only those', async () => {
    const [ann, bob] = [await s.seedUser(), await s.seedUser()];
    const annStream = await open(ann);
    const bobStream = await open(bob);
    // Revoked in the store by another instance: this one's cached check does not see it.
    await s.store.removeLoginToken(ann.user.id, (await identityOf(ann)).hashedToken);
    await s.timers.advanceAsync(LIMITS.revalidateMs - 1);
    expect(annStream.sink.closed).toBe(false);
    await s.timers.advanceAsync(1);
    expect(annStream.sink.closed).toBe(true);
    expect(bobStream.sink.closed).toBe(false);
    expect(streams.count).toBe(1);
    expect(connections.closed).toEqual(['connection-1']);
  });

  it('checks any number of streams\' tokens, batch after batch, closing each revoked one', async () => {
    const users = await Promise.all(Array.from({ length: 300 }, () => s.seedUser()));
    const sinks = [];
    for (const user of users) sinks.push((await open(user)).sink);
    const revoked = [users[0], users[260], users[299]];
    for (const user of revoked) await s.store.removeLoginToken(user.user.id, (await identityOf(user)).hashedToken);
    await s.timers.advanceAsync(LIMITS.revalidateMs);
    expect(sinks.flatMap((sink, index) => (sink.closed ? [index] : []))).toEqual([0, 260, 299]);
    expect(streams.count).toBe(297);
  });

  it('confirms the tokens it has read by a count, and still closes each one that expired, was revoked or deactivated since', async () => {
    const dan = await s.seedUser();
    // Dan's token, of the first moment, has 12 s left to live; the others' were issued now.
    s.clock.advance(90 * DAY_MS - 12_000);
    const [ann, bob, cat] = [await s.seedUser(), await s.seedUser(), await s.seedUser()];
    const sinks: RecordingSink[] = [];
    for (const user of [ann, bob, cat, dan]) sinks.push((await open(user)).sink);
    const danHash = (await identityOf(dan)).hashedToken;
    const reads = jest.spyOn(s.store, 'findTokenHolders');
    const closedOnes = () => sinks.flatMap((sink, index) => (sink.closed ? [['ann', 'bob', 'cat', 'dan'][index]] : []));
    await s.timers.advanceAsync(LIMITS.revalidateMs);
    expect(reads).toHaveBeenCalledTimes(1);
    // 2 s before Dan's token ends: every lifetime is known and running, and the store still holds every token.
    await s.timers.advanceAsync(LIMITS.revalidateMs);
    expect(reads).toHaveBeenCalledTimes(1);
    expect(closedOnes()).toEqual([]);
    // Dan's token has ended, and the store still holds it: a count cannot see that, his lifetime does.
    await s.timers.advanceAsync(LIMITS.revalidateMs);
    expect(reads).toHaveBeenCalledTimes(2);
    expect(reads).toHaveBeenLastCalledWith([danHash]);
    expect(closedOnes()).toEqual(['dan']);
    // Revoked and deactivated by another instance: this one is not told, and its count falls short.
    await s.store.removeLoginToken(bob.user.id, (await identityOf(bob)).hashedToken);
    const catRecord = (await s.store.findUserById(cat.user.id)) as UserRecord;
    await s.store.updateAccount(cat.user.id, { presenceRevision: catRecord.presenceRevision, rocketChat: rocketChatPresenceOf(catRecord) }, { active: false, presenceChangedAt: null, updatedAt: s.clock.now() });
    await s.timers.advanceAsync(LIMITS.revalidateMs);
    expect(reads).toHaveBeenCalledTimes(3);
    expect(closedOnes()).toEqual(['bob', 'cat', 'dan']);
    expect(streams.count).toBe(1);
  });

  it('reads the tokens of streams opened since the last check, and only those, when the others are still held', async () => {
    const [ann, bob] = [await s.seedUser(), await s.seedUser()];
    const annStream = await open(ann);
    await s.timers.advanceAsync(LIMITS.revalidateMs);
    const bobStream = await open(bob);
    const bobHash = (await identityOf(bob)).hashedToken;
    await s.store.removeLoginToken(bob.user.id, bobHash);
    const reads = jest.spyOn(s.store, 'findTokenHolders');
    await s.timers.advanceAsync(LIMITS.revalidateMs);
    expect(reads.mock.calls).toEqual([[[bobHash]]]);
    expect(bobStream.sink.closed).toBe(true);
    expect(annStream.sink.closed).toBe(false);
  });

  it('removes a stream when its connection ends: its place and its device\'s connection are given back', async () => {
    const ann = await s.seedUser();
    const opened = await Promise.all([open(ann), open(ann), open(ann)]);
    expect(() => streams.admits(ann.user.id)).toThrow(TooManyStreamsError);
    opened[1].stop();
    opened[1].stop();
    expect(streams.count).toBe(2);
    expect(() => streams.admits(ann.user.id)).not.toThrow();
    expect(connections.closed).toEqual(['connection-2']);
    expect(opened[1].sink.closed).toBe(false);
  });

  it('closes every stream at shutdown, leaves their connections to lapse, and refuses new ones', async () => {
    const ann = await s.seedUser();
    const { sink } = await open(ann);
    streams.closeAll();
    expect(sink.closed).toBe(true);
    expect(streams.count).toBe(0);
    expect(connections.closed).toEqual([]);
    expect(s.timers.pending).toBe(0);
    await expect(open(ann)).rejects.toThrow(StreamsUnavailableError);
  });
});
