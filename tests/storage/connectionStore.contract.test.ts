import type { ConnectionRecord } from '../../src/domain/ports/connections';
import type { UserRecord } from '../../src/domain/ports/records';
import type { DisposableStore, TestStore } from '../support/stores';
import { describeEachStore, userRecord } from '../support/testApp';

const NOW = new Date('2026-03-01T12:00:00.000Z');
/** `ms` milliseconds after NOW (before it when negative). */
const after = (ms: number) => new Date(NOW.getTime() + ms);
/** The lease a renewal gives in these tests. */
const LEASE = new Date('2026-03-01T12:00:30.000Z');

/** A connection `id` of user `userId`: a live heartbeat unless `fields` say otherwise. Dates with milliseconds, to see them kept. */
function connection(id: string, userId: string, fields: Partial<ConnectionRecord> = {}): ConnectionRecord {
  return {
    id,
    userId,
    hashedToken: `${userId}-token`,
    kind: 'heartbeat',
    state: 'online',
    instanceId: null,
    clientRenewed: true,
    expiresAt: new Date('2026-03-01T12:00:12.345Z'),
    createdAt: new Date('2026-03-01T11:58:01.007Z'),
    ...fields,
  };
}

const byId = (connections: readonly ConnectionRecord[]) => [...connections].sort((a, b) => a.id.localeCompare(b.id));

/** Every ConnectionStore behaves the same: the embedded store, and MongoDB. */
describeEachStore('ConnectionStore contract', (kind) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await kind.create();
  });
  afterEach(() => store.dispose());

  /** New users, created in the store (ids u1, u2, … unless `fields` name one). */
  const createUsers = async (...fields: Partial<UserRecord>[]): Promise<UserRecord[]> => {
    const users = fields.map((each) => userRecord(each));
    for (const user of users) await store.createUser(user);
    return users;
  };
  const put = async (...connections: ConnectionRecord[]) => {
    for (const each of connections) await store.putConnection(each);
  };
  /** Every connection of these users, sorted by id. */
  const connectionsOf = async (from: Pick<DisposableStore, 'connectionsOfUser'>, ...userIds: string[]) => {
    const all: ConnectionRecord[] = [];
    for (const userId of userIds) all.push(...(await from.connectionsOfUser(userId)));
    return byId(all);
  };
  const presenceExpiryOf = async (userId: string) => {
    const user = await store.findUserById(userId);
    if (user === null) throw new Error(`no user ${userId}`);
    return user.presenceExpiresAt;
  };

  describe('putConnection, connectionsOfUser(s), connectionsOfToken', () => {
    beforeEach(() => createUsers({ id: 'u1' }, { id: 'u2' }));

    it('reads a put connection back whole, every field as it went in, by user and by token', async () => {
      const stream = connection('stream-1', 'u1', {
        hashedToken: 'phone',
        kind: 'stream',
        state: 'away',
        instanceId: 'instance-a',
        clientRenewed: false,
        expiresAt: new Date('2026-03-01T12:00:29.999Z'),
        createdAt: new Date('2026-03-01T11:59:59.001Z'),
      });
      const heartbeat = connection('heartbeat-1', 'u1', { hashedToken: 'phone', kind: 'heartbeat', state: 'online', instanceId: null, clientRenewed: true });
      // Lapsed: still read (the finders return connections live or not).
      const declaration = connection('declaration-1', 'u1', {
        hashedToken: 'laptop',
        kind: 'declaration',
        state: 'online',
        instanceId: null,
        clientRenewed: false,
        expiresAt: new Date('2026-03-01T11:00:00.500Z'),
        createdAt: new Date('2026-03-01T10:00:00.250Z'),
      });
      const someoneElses = connection('heartbeat-2', 'u2', { hashedToken: 'u2-phone', state: 'away' });
      await put(stream, heartbeat, declaration, someoneElses);

      expect(byId(await store.connectionsOfUser('u1'))).toStrictEqual([declaration, heartbeat, stream]);
      expect(await store.connectionsOfUser('u2')).toStrictEqual([someoneElses]);
      expect(byId(await store.connectionsOfToken('phone'))).toStrictEqual([heartbeat, stream]);
      expect(await store.connectionsOfToken('laptop')).toStrictEqual([declaration]);
      expect(await store.connectionsOfToken('u2-phone')).toStrictEqual([someoneElses]);
      expect(await store.connectionsOfUser('nobody')).toStrictEqual([]);
      expect(await store.connectionsOfToken('no-such-token')).toStrictEqual([]);
      // Several users' in one read, whole, live or not.
      expect(byId(await store.connectionsOfUsers(['u2', 'nobody', 'u1']))).toStrictEqual([declaration, heartbeat, someoneElses, stream]);
      expect(await store.connectionsOfUsers(['u2'])).toStrictEqual([someoneElses]);
      expect(await store.connectionsOfUsers(['nobody'])).toStrictEqual([]);
      expect(await store.connectionsOfUsers([])).toStrictEqual([]);
      // The Dates are Dates, to the millisecond.
      const [read] = (await store.connectionsOfUser('u1')).filter((each) => each.id === 'stream-1');
      expect(read.expiresAt).toBeInstanceOf(Date);
      expect(read.expiresAt.getTime()).toBe(Date.parse('2026-03-01T12:00:29.999Z'));
      expect(read.createdAt.getTime()).toBe(Date.parse('2026-03-01T11:59:59.001Z'));
    });

    it('replaces the connection with the same id, every field', async () => {
      const first = connection('c1', 'u1', { hashedToken: 'phone', kind: 'stream', state: 'online', instanceId: 'instance-a', clientRenewed: false, expiresAt: after(10_000) });
      const other = connection('c2', 'u1', { hashedToken: 'phone' });
      await put(first, other);
      const replacement = connection('c1', 'u2', {
        hashedToken: 'tablet',
        kind: 'declaration',
        state: 'away',
        instanceId: null,
        clientRenewed: true,
        expiresAt: after(20_001),
        createdAt: after(1),
      });
      await store.putConnection(replacement);

      expect(await store.connectionsOfUser('u1')).toStrictEqual([other]);
      expect(await store.connectionsOfUser('u2')).toStrictEqual([replacement]);
      expect(await store.connectionsOfToken('phone')).toStrictEqual([other]);
      expect(await store.connectionsOfToken('tablet')).toStrictEqual([replacement]);
      // And back: a stream again, on its instance.
      await store.putConnection(first);
      expect(byId(await store.connectionsOfUser('u1'))).toStrictEqual([first, other]);
      expect(await store.connectionsOfUser('u2')).toStrictEqual([]);
    });
  });

  describe('setLease', () => {
    it("moves one connection's lease, later or earlier, and nothing else: not its other fields, other connections or the user's presence", async () => {
      await createUsers({ id: 'u1', presenceExpiresAt: after(10_000) });
      const renewed = connection('c1', 'u1', { hashedToken: 'phone', kind: 'declaration', expiresAt: after(10_000) });
      const other = connection('c2', 'u1', { hashedToken: 'phone', expiresAt: after(10_000) });
      await put(renewed, other);
      await store.setLease('c1', after(20_000));
      expect(await connectionsOf(store, 'u1')).toStrictEqual([{ ...renewed, expiresAt: after(20_000) }, other]);
      expect(await presenceExpiryOf('u1')).toEqual(after(10_000));
      // The lease index holds the new end.
      await store.setLease('c1', after(-1));
      expect(await store.expiredConnections(after(0), 10)).toStrictEqual([{ ...renewed, expiresAt: after(-1) }]);
    });

    it('leaves a connection removed meanwhile removed', async () => {
      await createUsers({ id: 'u1' });
      await put(connection('c1', 'u1', { kind: 'declaration' }));
      await store.removeConnections({ ids: ['c1'] });
      await store.setLease('c1', after(20_000));
      expect(await store.connectionsOfUser('u1')).toStrictEqual([]);
    });
  });

  describe('removeConnections', () => {
    // u1: two devices (phone: a stream on instance-a and a heartbeat; laptop: a stream on instance-b, lapsed, and a
    // declaration); u2: a stream on instance-a whose client heartbeats, and a heartbeat.
    const u1PhoneStream = connection('a-stream', 'u1', { hashedToken: 'u1-phone', kind: 'stream', instanceId: 'instance-a', clientRenewed: false });
    const u1PhoneHeartbeat = connection('b-heartbeat', 'u1', { hashedToken: 'u1-phone', state: 'away' });
    const u1LaptopStream = connection('c-stream', 'u1', { hashedToken: 'u1-laptop', kind: 'stream', instanceId: 'instance-b', clientRenewed: false, expiresAt: after(-1_000) });
    const u1LaptopDeclaration = connection('d-declaration', 'u1', { hashedToken: 'u1-laptop', kind: 'declaration', clientRenewed: false });
    const u2Stream = connection('e-stream', 'u2', { hashedToken: 'u2-phone', kind: 'stream', instanceId: 'instance-a', clientRenewed: true });
    const u2Heartbeat = connection('f-heartbeat', 'u2', { hashedToken: 'u2-phone' });
    const all = [u1PhoneStream, u1PhoneHeartbeat, u1LaptopStream, u1LaptopDeclaration, u2Stream, u2Heartbeat];
    const except = (...removed: ConnectionRecord[]) => all.filter((each) => !removed.includes(each));

    beforeEach(async () => {
      await createUsers({ id: 'u1' }, { id: 'u2' });
      await put(...all);
      // Everything is there to be removed.
      expect(await connectionsOf(store, 'u1', 'u2')).toStrictEqual(all);
    });

    it('removes by ids, the unknown ones ignored, and resolves with exactly those removed', async () => {
      expect(byId(await store.removeConnections({ ids: ['f-heartbeat', 'a-stream', 'no-such-id'] }))).toStrictEqual([u1PhoneStream, u2Heartbeat]);
      expect(await connectionsOf(store, 'u1', 'u2')).toStrictEqual(except(u1PhoneStream, u2Heartbeat));
      expect(await store.removeConnections({ ids: ['a-stream'] })).toStrictEqual([]);
      expect(await store.removeConnections({ ids: [] })).toStrictEqual([]);
      expect(await connectionsOf(store, 'u1', 'u2')).toStrictEqual(except(u1PhoneStream, u2Heartbeat));
    });

    it('removes by login token, every kind, live or lapsed', async () => {
      expect(byId(await store.removeConnections({ hashedToken: 'u1-laptop' }))).toStrictEqual([u1LaptopStream, u1LaptopDeclaration]);
      expect(await connectionsOf(store, 'u1', 'u2')).toStrictEqual(except(u1LaptopStream, u1LaptopDeclaration));
      expect(await store.removeConnections({ hashedToken: 'u1-laptop' })).toStrictEqual([]);
      expect(await store.connectionsOfToken('u1-phone')).toHaveLength(2);
    });

    it("removes an instance's connections, whoever renews them, and no other instance's", async () => {
      expect(byId(await store.removeConnections({ instanceId: 'instance-a' }))).toStrictEqual([u1PhoneStream, u2Stream]);
      expect(await connectionsOf(store, 'u1', 'u2')).toStrictEqual(except(u1PhoneStream, u2Stream));
      expect(await store.removeConnections({ instanceId: 'instance-c' })).toStrictEqual([]);
      expect(await connectionsOf(store, 'u1', 'u2')).toStrictEqual(except(u1PhoneStream, u2Stream));
    });

    it("removes a user's connections of one kind, and no other user's of that kind", async () => {
      expect(byId(await store.removeConnections({ userId: 'u1', kind: 'stream' }))).toStrictEqual([u1PhoneStream, u1LaptopStream]);
      expect(await connectionsOf(store, 'u1', 'u2')).toStrictEqual(except(u1PhoneStream, u1LaptopStream));
      expect(await store.removeConnections({ userId: 'u2', kind: 'heartbeat' })).toStrictEqual([u2Heartbeat]);
      expect(await store.removeConnections({ userId: 'u2', kind: 'declaration' })).toStrictEqual([]);
      expect(await connectionsOf(store, 'u1', 'u2')).toStrictEqual(except(u1PhoneStream, u1LaptopStream, u2Heartbeat));
    });
  });

  describe('renewConnections', () => {
    it('renews the selected connections still live, and pushes forward only the presence expiries that have not passed', async () => {
      await createUsers(
        { id: 'pushed', presenceExpiresAt: after(10_000) },
        { id: 'no-expiry', presenceExpiresAt: null },
        { id: 'passed', presenceExpiresAt: after(-5_000) },
        { id: 'ends-now', presenceExpiresAt: NOW },
        { id: 'later', presenceExpiresAt: after(60_000) },
        { id: 'only-lapsed', presenceExpiresAt: after(10_000) },
        { id: 'not-selected', presenceExpiresAt: after(10_000) },
      );
      const renewable = [
        connection('pushed-1', 'pushed', { expiresAt: after(5_000) }),
        connection('pushed-2', 'pushed', { expiresAt: after(1), kind: 'stream', instanceId: 'instance-a', clientRenewed: false, state: 'away' }),
        connection('no-expiry-1', 'no-expiry'),
        connection('passed-1', 'passed'),
        connection('ends-now-1', 'ends-now'),
        connection('later-1', 'later', { kind: 'declaration', clientRenewed: false }),
      ];
      const lapsed = [connection('only-lapsed-1', 'only-lapsed', { expiresAt: NOW }), connection('only-lapsed-2', 'only-lapsed', { expiresAt: after(-1_000) })];
      const unselected = connection('not-selected-1', 'not-selected');
      await put(...renewable, ...lapsed, unselected);
      const userIds = ['pushed', 'no-expiry', 'passed', 'ends-now', 'later', 'only-lapsed', 'not-selected'];
      // Read first, as the service would have: a store keeping records must not answer with the one read before.
      const before = new Map<string, UserRecord | null>();
      for (const userId of userIds) before.set(userId, await store.findUserById(userId));

      const count = await store.renewConnections({ ids: [...renewable, ...lapsed].map((each) => each.id).concat('no-such-id') }, LEASE, NOW);

      expect(count).toBe(6);
      expect(await connectionsOf(store, ...userIds)).toStrictEqual(byId([...renewable.map((each) => ({ ...each, expiresAt: LEASE })), ...lapsed, unselected]));
      expect(await presenceExpiryOf('pushed')).toStrictEqual(LEASE);
      // Its revision moves on: a presence write decided from the old leases is refused.
      const pushed = before.get('pushed') as UserRecord;
      expect(await store.findUserById('pushed')).toStrictEqual({ ...pushed, presenceExpiresAt: LEASE, presenceRevision: pushed.presenceRevision + 1 });
      // Untouched, whole.
      for (const userId of userIds.filter((each) => each !== 'pushed')) expect({ userId, user: await store.findUserById(userId) }).toStrictEqual({ userId, user: before.get(userId) });
      expect({
        noExpiry: await presenceExpiryOf('no-expiry'),
        passed: await presenceExpiryOf('passed'),
        endsNow: await presenceExpiryOf('ends-now'),
        later: await presenceExpiryOf('later'),
        onlyLapsed: await presenceExpiryOf('only-lapsed'),
        notSelected: await presenceExpiryOf('not-selected'),
      }).toStrictEqual({ noExpiry: null, passed: after(-5_000), endsNow: NOW, later: after(60_000), onlyLapsed: after(10_000), notSelected: after(10_000) });
    });

    it('renews nothing, and pushes no expiry, when no selected connection is live', async () => {
      await createUsers({ id: 'u1', presenceExpiresAt: after(10_000) });
      const lapsed = connection('c1', 'u1', { expiresAt: NOW });
      await put(lapsed);
      expect(await store.renewConnections({ ids: ['c1'] }, LEASE, NOW)).toBe(0);
      expect(await store.renewConnections({ ids: [] }, LEASE, NOW)).toBe(0);
      expect(await store.connectionsOfUser('u1')).toStrictEqual([lapsed]);
      expect(await presenceExpiryOf('u1')).toStrictEqual(after(10_000));
    });

    it("renews an instance's live streams whose clients do not heartbeat and whose lease ends before the due time, and only those", async () => {
      await createUsers(
        { id: 'u1', presenceExpiresAt: after(10_000) },
        { id: 'u2', presenceExpiresAt: null },
        { id: 'u3', presenceExpiresAt: after(10_000) },
        { id: 'u4', presenceExpiresAt: after(10_000) },
      );
      const stream = (id: string, userId: string, fields: Partial<ConnectionRecord>) => connection(id, userId, { kind: 'stream', instanceId: 'instance-a', clientRenewed: false, ...fields });
      const renewable = [stream('u1-a', 'u1', {}), stream('u2-a', 'u2', { state: 'away', expiresAt: after(1) })];
      const others = [
        // Its client heartbeats: the client renews it.
        stream('u3-heartbeating', 'u3', { clientRenewed: true }),
        // Lapsed: not revived.
        stream('u3-lapsed', 'u3', { expiresAt: NOW }),
        // Its lease ends at the due time: not due yet.
        stream('u3-not-due', 'u3', { expiresAt: after(15_000) }),
        // Another instance's.
        stream('u4-b', 'u4', { instanceId: 'instance-b' }),
        // No instance's.
        connection('u4-declaration', 'u4', { kind: 'declaration', clientRenewed: false }),
      ];
      await put(...renewable, ...others);
      await store.findUserById('u1');

      expect(await store.renewConnections({ instanceId: 'instance-a', dueBefore: after(15_000) }, LEASE, NOW)).toBe(2);

      expect(await connectionsOf(store, 'u1', 'u2', 'u3', 'u4')).toStrictEqual(byId([...renewable.map((each) => ({ ...each, expiresAt: LEASE })), ...others]));
      expect({ u1: await presenceExpiryOf('u1'), u2: await presenceExpiryOf('u2'), u3: await presenceExpiryOf('u3'), u4: await presenceExpiryOf('u4') })
        .toStrictEqual({ u1: LEASE, u2: null, u3: after(10_000), u4: after(10_000) });
      expect(await store.renewConnections({ instanceId: 'instance-c', dueBefore: after(15_000) }, LEASE, NOW)).toBe(0);
    });
  });

  describe('expiredConnections', () => {
    const lapsed30 = connection('p', 'u1', { expiresAt: after(-30_000) });
    const lapsed20 = connection('q', 'u2', { expiresAt: after(-20_000), kind: 'stream', instanceId: 'instance-a', clientRenewed: false });
    const lapsed10 = connection('a', 'u1', { expiresAt: after(-10_000), kind: 'declaration', clientRenewed: false });
    const endsNow = connection('m', 'u2', { expiresAt: NOW, state: 'away' });
    const liveByAMillisecond = connection('b', 'u1', { expiresAt: after(1) });
    const live = connection('c', 'u2', { expiresAt: after(30_000) });

    beforeEach(async () => {
      await createUsers({ id: 'u1' }, { id: 'u2' });
      // Neither in order of expiry nor of id.
      await put(live, lapsed10, endsNow, lapsed30, liveByAMillisecond, lapsed20);
    });

    it('lists the connections lapsed at or before now, earliest first, whole', async () => {
      expect(await store.expiredConnections(NOW, 100)).toStrictEqual([lapsed30, lapsed20, lapsed10, endsNow]);
      expect(await store.expiredConnections(after(-15_000), 100)).toStrictEqual([lapsed30, lapsed20]);
      expect(await store.expiredConnections(after(-30_001), 100)).toStrictEqual([]);
      expect(await store.expiredConnections(after(1), 100)).toStrictEqual([lapsed30, lapsed20, lapsed10, endsNow, liveByAMillisecond]);
    });

    it('lists at most `limit`, the earliest', async () => {
      expect(await store.expiredConnections(NOW, 1)).toStrictEqual([lapsed30]);
      expect(await store.expiredConnections(NOW, 3)).toStrictEqual([lapsed30, lapsed20, lapsed10]);
      expect(await store.expiredConnections(NOW, 4)).toStrictEqual([lapsed30, lapsed20, lapsed10, endsNow]);
    });

    it('no longer lists a connection renewed or removed', async () => {
      await store.putConnection({ ...lapsed20, expiresAt: after(5_000) });
      await store.removeConnections({ ids: ['a'] });
      expect(await store.expiredConnections(NOW, 100)).toStrictEqual([lapsed30, endsNow]);
    });
  });

  describe('instances', () => {
    const sorted = (ids: string[]) => [...ids].sort();

    it('renews (one record per instance, upserted), lists the dead at or before now, and removes', async () => {
      await store.renewInstance('instance-a', after(30_000));
      await store.renewInstance('instance-b', NOW);
      await store.renewInstance('instance-c', after(-1_000));
      expect(sorted(await store.deadInstances(NOW))).toStrictEqual(['instance-b', 'instance-c']);
      expect(await store.deadInstances(after(-1_001))).toStrictEqual([]);

      // Renewed again: the same record, its new expiry.
      await store.renewInstance('instance-b', after(30_000));
      expect(await store.deadInstances(NOW)).toStrictEqual(['instance-c']);
      expect(sorted(await store.deadInstances(after(30_000)))).toStrictEqual(['instance-a', 'instance-b', 'instance-c']);
      await store.renewInstance('instance-b', after(40_000));
      expect(sorted(await store.deadInstances(after(30_000)))).toStrictEqual(['instance-a', 'instance-c']);
      expect(sorted(await store.deadInstances(after(40_000)))).toStrictEqual(['instance-a', 'instance-b', 'instance-c']);

      await store.removeInstance('instance-c');
      expect(await store.deadInstances(NOW)).toStrictEqual([]);
      expect(sorted(await store.deadInstances(after(40_000)))).toStrictEqual(['instance-a', 'instance-b']);
      await store.removeInstance('no-such-instance');
      expect(sorted(await store.deadInstances(after(40_000)))).toStrictEqual(['instance-a', 'instance-b']);
    });

    it('leaves the connections of a removed instance to be removed by their own call', async () => {
      await createUsers({ id: 'u1' });
      const stream = connection('s1', 'u1', { kind: 'stream', instanceId: 'instance-a', clientRenewed: false });
      await put(stream);
      await store.renewInstance('instance-a', NOW);
      await store.removeInstance('instance-a');
      expect(await store.connectionsOfUser('u1')).toStrictEqual([stream]);
    });
  });

  describe('a second instance over the same database', () => {
    let twin: DisposableStore;
    beforeEach(async () => {
      twin = await store.twin();
    });
    afterEach(() => twin.dispose());

    it('sees the connections and instances the first wrote, and the first sees its changes', async () => {
      await createUsers({ id: 'u1', presenceExpiresAt: after(10_000) });
      const heartbeat = connection('c1', 'u1', { hashedToken: 'phone' });
      const stream = connection('c2', 'u1', { hashedToken: 'phone', kind: 'stream', instanceId: 'instance-a', clientRenewed: false, expiresAt: NOW });
      await put(heartbeat, stream);
      await store.renewInstance('instance-a', NOW);

      expect(byId(await twin.connectionsOfUser('u1'))).toStrictEqual([heartbeat, stream]);
      expect(byId(await twin.connectionsOfToken('phone'))).toStrictEqual([heartbeat, stream]);
      expect(await twin.expiredConnections(NOW, 10)).toStrictEqual([stream]);
      expect(await twin.deadInstances(NOW)).toStrictEqual(['instance-a']);

      expect(await twin.renewConnections({ ids: ['c1'] }, LEASE, NOW)).toBe(1);
      expect(await twin.removeConnections({ instanceId: 'instance-a' })).toStrictEqual([stream]);
      await twin.removeInstance('instance-a');
      expect(await store.connectionsOfUser('u1')).toStrictEqual([{ ...heartbeat, expiresAt: LEASE }]);
      expect(await presenceExpiryOf('u1')).toStrictEqual(LEASE);
      expect(await store.deadInstances(NOW)).toStrictEqual([]);
    });
  });
});
