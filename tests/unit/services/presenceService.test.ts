import type { ConnectionRecord, ConnectionState } from '../../../src/domain/ports/connections';
import type { Identity } from '../../../src/domain/rules/accounts';
import { WriteContentionError } from '../../../src/domain/errors';
import { ConnectionService } from '../../../src/domain/services/connectionService';
import type { SqliteStore } from '../../../src/storage/sqlite/sqliteStore';
import { PRESENCE_OPTIONS, buildDomainServices, type DomainServices } from '../../support/domainServices';
import type { SeededUser } from '../../support/testApp';

describe('PresenceService (fake clock)', () => {
  let s: DomainServices;
  let ann: SeededUser;
  let identity: Identity;
  /** Set by a test: runs before the service's next presence write, as another writer would in between. */
  let beforeWrite: (() => Promise<void>) | undefined;
  /** Set by a test: every presence write is refused as if someone always wrote first. */
  let alwaysConflict: boolean;
  let writes: number;

  beforeEach(async () => {
    beforeWrite = undefined;
    alwaysConflict = false;
    writes = 0;
    s = buildDomainServices({
      over: (store) => Object.assign(Object.create(store) as SqliteStore, {
        writePresence: async (...args: Parameters<SqliteStore['writePresence']>) => {
          writes += 1;
          const before = beforeWrite;
          beforeWrite = undefined;
          await before?.();
          return alwaysConflict ? null : store.writePresence(...args);
        },
      }),
    });
    ann = await s.seedUser({ username: 'ann' });
    identity = await s.accounts.authenticate(ann.token, undefined);
  });
  afterEach(() => s.close());

  async function statusOfAnn(): Promise<string> {
    return (await s.presence.readUser(ann.user.id)).status;
  }

  async function connect(state: ConnectionState, id = 'device-1'): Promise<ConnectionRecord> {
    const now = s.clock.now();
    const connection: ConnectionRecord = {
      id, userId: ann.user.id, hashedToken: identity.hashedToken, kind: 'stream', state, instanceId: 'here', clientRenewed: false, expiresAt: new Date(now.getTime() + 60_000), createdAt: now,
    };
    await s.store.putConnection(connection);
    await s.presence.recompute(ann.user.id);
    return connection;
  }

  it('shows a user from his connections: offline with none, away only when every one is away', async () => {
    expect(await statusOfAnn()).toBe('offline');
    await connect('away', 'phone');
    expect(await statusOfAnn()).toBe('away');
    await connect('online', 'laptop');
    expect(await statusOfAnn()).toBe('online');
    await s.store.removeConnections({ ids: ['phone', 'laptop'] });
    await s.presence.recompute(ann.user.id);
    expect(await statusOfAnn()).toBe('offline');
  });

  it('shows the status he chose while he is connected, and invisible as offline', async () => {
    await connect('online');
    await s.presence.setStatus(identity, ann.user.id, { status: 'busy' });
    expect(await statusOfAnn()).toBe('busy');
    await s.presence.setStatus(identity, ann.user.id, { status: 'offline' });
    expect(await statusOfAnn()).toBe('offline');
    await s.presence.setStatus(identity, ann.user.id, { status: 'online' });
    expect(await statusOfAnn()).toBe('online');
  });

  it('lets a status set without a connection expire after the presence time to live, and reports the expiry as a change', async () => {
    const start = s.clock.now();
    await s.presence.setStatus(identity, ann.user.id, { status: 'away' });
    s.clock.advance(PRESENCE_OPTIONS.presenceTtlMs - 1);
    expect(await statusOfAnn()).toBe('away');
    s.clock.advance(1);
    expect(await statusOfAnn()).toBe('offline');
    const { users, now } = await s.presence.changesSince(new Date(start.getTime() + 1));
    expect(s.presence.readAll(users, now).map((reading) => [reading.user.username, reading.status])).toEqual([['ann', 'offline']]);
  });

  it('decides again from what it reads when another write lands between its read and its write, keeping both', async () => {
    beforeWrite = async () => {
      await s.presence.setStatus(identity, ann.user.id, { message: 'written meanwhile' });
    };
    const written = await s.presence.setStatus(identity, ann.user.id, { status: 'busy' });
    expect(written).toMatchObject({ statusDefault: 'busy', statusText: 'written meanwhile' });
    expect(writes).toBe(3);
    expect((await s.presence.readUser(ann.user.id)).user).toMatchObject({ statusDefault: 'busy', statusText: 'written meanwhile' });
  });

  it('decides again when a round renews the leases between its read and its write, so the presence lasts as the renewed stream does', async () => {
    const rounds = new ConnectionService(s.store, s.presence, s.clock, s.timers, { instanceId: 'here', leaseMs: 60_000, renewMs: 10_000 });
    await rounds.streamOpened(identity);
    writes = 0;
    // 40 s into the stream's 60 s lease: a round now renews it, to 100 s.
    s.clock.advance(40_000);
    beforeWrite = () => rounds.runRound();
    await s.presence.setStatus(identity, ann.user.id, { status: 'away' });
    // The write decided from the old lease is refused; the one decided again lands.
    expect(writes).toBe(2);
    // Past the lease it read, within the renewed one: the stream is open, so she still reads away.
    s.clock.advance(30_000);
    expect(await statusOfAnn()).toBe('away');
  });

  it('gives up with WriteContentionError after 8 writes refused in a row', async () => {
    alwaysConflict = true;
    await expect(s.presence.setStatus(identity, ann.user.id, { status: 'busy' })).rejects.toThrow(WriteContentionError);
    expect(writes).toBe(8);
  });

  it('lets a stream join the feed at a position: the changes after it, then every batch', async () => {
    const position = await s.presence.feedPosition();
    await s.presence.setStatus(identity, ann.user.id, { status: 'away' });
    await s.presence.feedPosition();
    const batches: (string | undefined)[][] = [];
    const joined = s.presence.joinFeed(position, (batch) => batches.push(batch.users.map((user) => user.statusDefault)));
    expect(joined.caughtUp.users.map((user) => user.statusDefault)).toEqual(['away']);
    s.clock.advance(1);
    // A write through this instance is read at once while anyone listens, without waiting for the poll.
    await s.presence.setStatus(identity, ann.user.id, { status: 'busy' });
    await s.timers.advanceAsync(0);
    expect(batches).toEqual([['busy']]);
    joined.leave();
  });
});

describe('PresenceService heartbeats (fake clock)', () => {
  let s: DomainServices;
  let identity: Identity;
  let userId: string;
  /** The store's presence and connection writes, by method, in the order they were asked for. */
  let calls: string[];

  beforeEach(async () => {
    calls = [];
    const spied = ['writePresence', 'renewPresence', 'putConnection', 'setLease'] as const;
    s = buildDomainServices({
      over: (store) => {
        const spy = Object.create(store) as SqliteStore;
        for (const name of spied) {
          const real = store[name].bind(store) as (...args: unknown[]) => Promise<unknown>;
          Object.assign(spy, { [name]: (...args: unknown[]) => (calls.push(name), real(...args)) });
        }
        return spy;
      },
    });
    const bob = await s.seedUser({ username: 'bob' });
    userId = bob.user.id;
    identity = await s.accounts.authenticate(bob.token, undefined);
  });
  afterEach(() => s.close());

  it('writes a new presence in full, then renews the same presence with the narrow writes alone', async () => {
    await s.presence.renewPnutPresence(identity, 'online');
    expect(calls.sort()).toEqual(['putConnection', 'writePresence']);
    calls = [];
    s.clock.advance(10_000);
    const renewed = await s.presence.renewPnutPresence(identity, 'online');
    expect(calls.sort()).toEqual(['renewPresence', 'setLease']);
    expect(renewed.lastSeenAt?.getTime()).toBe(s.clock.now().getTime());
    expect((await s.presence.readUser(userId)).status).toBe('online');
  });

  it('writes a changed presence in full, and the declaration, which holds no status, as its lease alone', async () => {
    await s.presence.renewPnutPresence(identity, 'online');
    calls = [];
    s.clock.advance(10_000);
    await s.presence.renewPnutPresence(identity, 'away');
    expect(calls.sort()).toEqual(['setLease', 'writePresence']);
    expect((await s.presence.readUser(userId)).status).toBe('away');
  });
});
