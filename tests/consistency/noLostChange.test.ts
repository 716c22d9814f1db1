import request from 'supertest';
import type { PresenceApp } from '../../src/app';
import type { PresenceWrite } from '../../src/domain/ports/records';
import { StoreUnavailableError } from '../../src/domain/ports/store';
import { rocketChatPresenceOf } from '../../src/domain/rules/rocketChatPresence';
import { expectCleanJsonError, expectRocketChatJson, withHeldWrites, type PresenceBody, type PresenceUserView } from '../api/rocketchat/rocketChatKit';
import { appPerTest, buildSecondInstance, describeEachStore, type SeededUser, type TestApp } from '../support/testApp';

/**
 * Issue 8, point 3: no change is ever lost or overwritten, on one instance or two. Every case is what a client
 * sees: a field one call set is never undone by another call's stale read, an expiry is heard even when a write
 * follows it, a failed write leaves nothing behind, and deltas carry each change exactly once.
 */

type Instance = { app: PresenceApp };

const TTL_SECONDS = 900;
/** DELTA_OVERLAP_SECONDS in the test configuration: a change this close before `from` may come again. */
const OVERLAP_SECONDS = 2;
const PRESENCE_CURSOR = 'x-presence-cursor';

function setStatus(on: Instance, who: SeededUser, body: { status?: string; message?: string }): Promise<request.Response> {
  return request(on.app).post('/api/v1/users.setStatus').set(who.headers).send(body).then((res) => res);
}

function pnutPut(on: Instance, who: SeededUser, presence: string): Promise<request.Response> {
  return request(on.app).put('/v0/users/me/presence').set(who.bearer).send({ presence }).then((res) => res);
}

/** pnut's `update_presence` heartbeat on a Rocket.Chat call. */
function heartbeat(on: Instance, who: SeededUser, value: string): Promise<request.Response> {
  return request(on.app).get('/api/v1/me').query({ update_presence: value }).set(who.headers).then((res) => res);
}

/** users.presence answered 200 with the Rocket.Chat headers; its body and its cursor header. */
async function presence(on: Instance, caller: SeededUser, query: Record<string, string> = {}): Promise<{ body: PresenceBody; cursor: unknown }> {
  const res = await request(on.app).get('/api/v1/users.presence').query(query).set(caller.headers);
  expect(res.status).toBe(200);
  expectRocketChatJson(res);
  return { body: res.body as PresenceBody, cursor: res.headers[PRESENCE_CURSOR] };
}

function entriesOf(body: PresenceBody, who: SeededUser): PresenceUserView[] {
  return body.users.filter((user) => user._id === who.user.id);
}

/** How `who` looks to `observer` through `on`: users.getStatus, and the users.presence `ids` answer. */
async function seen(on: Instance, observer: SeededUser, who: SeededUser): Promise<{ status: string; message?: string; listed?: PresenceUserView }> {
  const status = await request(on.app).get('/api/v1/users.getStatus').query({ userId: who.user.id }).set(observer.headers);
  expect(status.status).toBe(200);
  const listed = await presence(on, observer, { ids: who.user.id });
  const { message } = status.body as { message?: string };
  return {
    status: status.body.status as string,
    ...(message === undefined ? {} : { message }),
    ...(listed.body.users.length === 0 ? {} : { listed: listed.body.users[0] }),
  };
}

function view(who: SeededUser, status: string, statusText?: string): PresenceUserView {
  const base = { _id: who.user.id, username: who.user.username, name: who.user.name, status, utcOffset: who.user.utcOffset };
  return statusText === undefined ? base : { ...base, statusText };
}

/** What every read of both instances must show of `who`. */
async function expectSeenEverywhere(instances: Instance[], observer: SeededUser, who: SeededUser, status: string, message?: string): Promise<void> {
  for (const on of instances) {
    expect(await seen(on, observer, who)).toEqual({
      status,
      ...(message === undefined ? {} : { message }),
      ...(status === 'offline' ? {} : { listed: view(who, status, message) }),
    });
  }
}

describeEachStore('no change is lost or overwritten', (kind) => {
  const held = withHeldWrites(kind);
  let t: TestApp;
  let b: Awaited<ReturnType<typeof buildSecondInstance>>;
  let alice: SeededUser;
  let bob: SeededUser;
  let carol: SeededUser;
  let t0: number;

  /** Instance A (the describe's appPerTest app), instance B over the same data, and three users. */
  async function setUp(current: { readonly t: TestApp }): Promise<void> {
    t = current.t;
    b = await buildSecondInstance(t);
    alice = await t.seedUser({ username: 'alice' });
    bob = await t.seedUser({ username: 'bob' });
    carol = await t.seedUser({ username: 'carol' });
    t0 = t.clock.now().getTime();
  }
  // Runs after the nested describe's appPerTest has closed instance A (its store data with it); B is closed here.
  afterEach(async () => {
    jest.restoreAllMocks();
    await b.close();
  });

  const nowIso = () => t.clock.now().toISOString();
  /** Moves the fake clock to `seconds` after the test's start. */
  const at = (seconds: number) => t.clock.set(new Date(t0 + seconds * 1000));

  /**
   * Runs `first` on instance A with its write held after its read, lands `second` on instance B meanwhile, then lets
   * A's write go: it finds the user changed and must decide again from what B wrote.
   */
  async function race(first: () => Promise<request.Response>, second: () => Promise<request.Response>): Promise<{ first: request.Response; second: request.Response }> {
    const hold = held.holdNextWrite();
    const pending = first();
    await hold.entered;
    const secondRes = await second();
    expect(secondRes.status).toBe(200);
    hold.release();
    const firstRes = await pending;
    expect(firstRes.status).toBe(200);
    return { first: firstRes, second: secondRes };
  }

  describe('concurrent writes by one user never undo a field another call set', () => {
    const heldApp = appPerTest(held.kind);
    beforeEach(async () => {
      await setUp(heldApp);
      expect((await setStatus(t, alice, { status: 'online', message: 'before' })).status).toBe(200);
      t.clock.advanceSeconds(1);
    });

    it('a message-only setStatus held on A while a status-only setStatus lands on B: both fields land', async () => {
      await race(
        () => setStatus(t, alice, { message: 'lunch' }),
        () => setStatus(b, alice, { status: 'busy' }),
      );
      await expectSeenEverywhere([t, b], bob, alice, 'busy', 'lunch');
    });

    it('a status-only setStatus held on A while a message-only setStatus lands on B: both fields land', async () => {
      await race(
        () => setStatus(t, alice, { status: 'busy' }),
        () => setStatus(b, alice, { message: 'lunch' }),
      );
      await expectSeenEverywhere([t, b], bob, alice, 'busy', 'lunch');
    });

    it('a message-only setStatus held on A while a pnut PUT lands on B: the status pnut set stays, with the message', async () => {
      await race(
        () => setStatus(t, alice, { message: 'lunch' }),
        () => pnutPut(b, alice, 'away'),
      );
      await expectSeenEverywhere([t, b], bob, alice, 'away', 'lunch');
    });

    it('a message-only setStatus held on A while an update_presence heartbeat lands on B: the heartbeat’s status stays', async () => {
      const { second } = await race(
        () => setStatus(t, alice, { message: 'lunch' }),
        () => heartbeat(b, alice, 'busy'),
      );
      expect(second.headers['x-updated-presence']).toBe('true');
      await expectSeenEverywhere([t, b], bob, alice, 'busy', 'lunch');
    });

    it('a heartbeat held on A while a message-only setStatus lands on B: the heartbeat lands last and replaces the text, as pnut defines', async () => {
      const { first } = await race(
        () => heartbeat(t, alice, 'away'),
        () => setStatus(b, alice, { message: 'lunch' }),
      );
      expect(first.headers['x-updated-presence']).toBe('true');
      expect(first.body).toMatchObject({ _id: alice.user.id, status: 'away' });
      await expectSeenEverywhere([t, b], bob, alice, 'away');
    });
  });

  describe('an expiry followed by any write still shows in a delta taken across both', () => {
    const current = appPerTest(kind);
    beforeEach(() => setUp(current));

    const writes: { name: string; write: (t: TestApp, who: SeededUser) => Promise<request.Response>; final: string }[] = [
      { name: 'users.setStatus offline (invisible)', write: (on, who) => setStatus(on, who, { status: 'offline' }), final: 'offline' },
      { name: 'a message-only users.setStatus', write: (on, who) => setStatus(on, who, { message: 'back soon' }), final: 'offline' },
      { name: 'an update_presence heartbeat', write: (on, who) => heartbeat(on, who, 'online'), final: 'online' },
      { name: 'pnut PUT presence=0', write: (on, who) => pnutPut(on, who, '0'), final: 'offline' },
    ];

    it.each(writes)('$name after the expiry: the user is in the delta, $final', async ({ write, final }) => {
      expect((await setStatus(t, alice, { status: 'online' })).status).toBe(200); // expires at TTL
      at(TTL_SECONDS - 5);
      const before = await presence(t, bob); // Bob's instance has answered him; Carol has never asked
      expect(entriesOf(before.body, alice)).toEqual([view(alice, 'online')]);
      const from = nowIso();

      at(TTL_SECONDS + 5); // expired, and nobody asked since
      const res = await write(t, alice);
      expect(res.status).toBe(200);
      at(TTL_SECONDS + 6);

      for (const poller of [carol, bob]) {
        const delta = await presence(t, poller, { from });
        expect(delta.body.full).toBe(false);
        expect(entriesOf(delta.body, alice)).toEqual([expect.objectContaining({ _id: alice.user.id, status: final })]);
      }
    });
  });

  describe('a write that fails', () => {
    // The store as production has it (the held-writes wrapper would also get in the way of a spy).
    const current = appPerTest(kind);
    beforeEach(() => setUp(current));

    it('a write the store rejects answers 503, shows nothing, and the same call retried lands once', async () => {
      const first = await presence(t, bob);
      expect(entriesOf(first.body, alice)).toEqual([]);
      const from = nowIso();
      jest.spyOn(t.store, 'writePresence').mockRejectedValueOnce(new StoreUnavailableError('writePresence: connection 3 to 127.0.0.1:27017 closed'));
      t.clock.advance(100);

      const failed = await setStatus(t, alice, { status: 'busy', message: 'on a call' });
      expect(failed.status).toBe(503);
      expectCleanJsonError(failed);
      expect(failed.body).toEqual({ success: false, error: 'Service unavailable, try again shortly' });

      t.clock.advance(100);
      await expectSeenEverywhere([t], bob, alice, 'offline');
      expect(entriesOf((await presence(t, bob)).body, alice)).toEqual([]);
      expect(entriesOf((await presence(t, carol, { from })).body, alice)).toEqual([]);
      const quiet = await presence(t, bob, { from });
      expect(entriesOf(quiet.body, alice)).toEqual([]);
      const afterQuiet = nowIso();

      t.clock.advance(100);
      expect((await setStatus(t, alice, { status: 'busy', message: 'on a call' })).status).toBe(200);
      t.clock.advance(100);
      const next = await presence(t, bob, { from: afterQuiet });
      expect(next.body.users).toEqual([view(alice, 'busy', 'on a call')]);
      t.clock.advanceSeconds(OVERLAP_SECONDS);
      const fromAfterNext = nowIso();
      t.clock.advanceSeconds(1);
      expect((await presence(t, bob, { from: fromAfterNext })).body.users).toEqual([]);
    });

    it('a write refused as conflicting on every attempt answers 503 with a JSON body and shows nothing', async () => {
      const from = nowIso();
      jest.spyOn(t.store, 'writePresence').mockResolvedValue(null);
      t.clock.advance(100);

      const res = await setStatus(t, alice, { status: 'away', message: 'gone' });
      expect(res.status).toBe(503);
      expectCleanJsonError(res);
      // What the client is told: the write was tried again and kept conflicting (not a store outage).
      expect(res.body).toEqual({ success: false, error: 'The presence changed too often to be written, try again shortly' });

      await expectSeenEverywhere([t, b], bob, alice, 'offline');
      expect(entriesOf((await presence(t, bob)).body, alice)).toEqual([]);
      expect(entriesOf((await presence(t, carol, { from })).body, alice)).toEqual([]);
    });
  });

  describe('two instances over one database', () => {
    const current = appPerTest(kind);
    beforeEach(() => setUp(current));

    it('a change made through A reaches B’s delta, full list and ids answer at once, each with its cursor', async () => {
      const before = await presence(b, bob); // B now caches its snapshot
      expect(before.cursor).toBe(String(t.clock.now().getTime()));
      expect(entriesOf(before.body, alice)).toEqual([]);
      const from = nowIso();
      t.clock.advance(100);

      expect((await setStatus(t, alice, { status: 'busy', message: 'on a call' })).status).toBe(200);
      t.clock.advance(100);

      for (const poller of [carol, bob]) {
        const delta = await presence(b, poller, { from });
        expect(delta.cursor).toBe(String(t.clock.now().getTime()));
        expect(delta.body.full).toBe(false);
        expect(entriesOf(delta.body, alice)).toEqual([view(alice, 'busy', 'on a call')]);
      }

      const full = await presence(b, bob);
      expect(full.cursor).toBe(String(t.clock.now().getTime()));
      expect(full.body.full).toBe(true);
      expect(entriesOf(full.body, alice)).toEqual([view(alice, 'busy', 'on a call')]);

      const byIds = await presence(b, bob, { ids: alice.user.id });
      expect(byIds.cursor).toBe(String(t.clock.now().getTime()));
      expect(byIds.body.users).toEqual([view(alice, 'busy', 'on a call')]);
    });
  });

  describe('a delta never misses a change; one may come again only if made within the overlap before `from`', () => {
    const current = appPerTest(kind);
    beforeEach(() => setUp(current));

    it('from=<now> with nothing changed within the overlap is empty (Rocket.Chat\'s own expectation)', async () => {
      expect((await setStatus(t, alice, { status: 'away' })).status).toBe(200);
      t.clock.advanceSeconds(OVERLAP_SECONDS + 1);
      expect((await presence(t, bob, { from: nowIso() })).body).toEqual({ users: [], full: false, success: true });
    });

    it('a delta right after a full list repeats only what changed within the overlap before it', async () => {
      expect((await setStatus(t, alice, { status: 'away' })).status).toBe(200);
      t.clock.advanceSeconds(OVERLAP_SECONDS);
      expect((await setStatus(t, carol, { status: 'busy' })).status).toBe(200);
      t.clock.advance(1);
      const full = await presence(t, bob);
      expect(full.body.users).toEqual(expect.arrayContaining([view(alice, 'away'), view(carol, 'busy')]));
      const next = await presence(t, bob, { from: nowIso() });
      expect(next.body).toEqual({ users: [view(carol, 'busy')], full: false, success: true });
    });

    it('a change after an answer comes in the next poll, and once the overlap has passed no more', async () => {
      await presence(t, bob);
      t.clock.advance(20); // the answer reaches the client, which takes `from` from its clock
      const from = nowIso();
      t.clock.advance(500);
      expect((await setStatus(t, carol, { status: 'busy' })).status).toBe(200);
      t.clock.advance(1500);
      expect((await presence(t, bob, { from })).body).toEqual({ users: [view(carol, 'busy')], full: false, success: true });
      t.clock.advance(20);
      // 1.52 s after the change: still within the overlap, so it comes again; 2 s after it, no more.
      expect((await presence(t, bob, { from: nowIso() })).body.users).toEqual([view(carol, 'busy')]);
      t.clock.advance(480);
      expect((await presence(t, bob, { from: nowIso() })).body.users).toEqual([view(carol, 'busy')]);
      t.clock.advance(1);
      expect((await presence(t, bob, { from: nowIso() })).body).toEqual({ users: [], full: false, success: true });
    });

    it('two consumers of one login token: however often one polls, the other still gets the change', async () => {
      const tabA = await presence(t, bob);
      expect(entriesOf(tabA.body, carol)).toEqual([]);
      const fromA = nowIso();
      t.clock.advance(300);
      expect((await setStatus(t, carol, { status: 'busy', message: 'call' })).status).toBe(200);
      // Tab B, same token, polls eight times and more in between, on both instances.
      for (let poll = 0; poll < 10; poll += 1) {
        t.clock.advance(200);
        await presence(poll % 2 === 0 ? t : b, bob, { from: nowIso() });
      }
      t.clock.advanceSeconds(1);
      for (const on of [t, b]) expect((await presence(on, bob, { from: fromA })).body.users).toEqual([view(carol, 'busy', 'call')]);
    });

    it('a poller alternating instances misses nothing', async () => {
      const seenChanges: string[] = [];
      await presence(b, bob);
      let from = nowIso();
      for (let step = 0; step < 8; step += 1) {
        t.clock.advance(700);
        const who = step % 2 === 0 ? alice : carol;
        expect((await setStatus(step % 2 === 0 ? b : t, who, { message: `step ${step}`, status: 'online' })).status).toBe(200);
        t.clock.advance(300);
        const answer = await presence(step % 2 === 0 ? t : b, bob, { from });
        from = nowIso();
        for (const user of answer.body.users) seenChanges.push(`${user.username}:${user.statusText}`);
      }
      for (let step = 0; step < 8; step += 1) expect(seenChanges).toContain(`${step % 2 === 0 ? 'alice' : 'carol'}:step ${step}`);
    });

    it.each([
      ['ahead of the server by less than the overlap', 1500],
      ['behind the server by several seconds', -5000],
    ])('a client clock %s still gets a change made just after its previous answer', async (_label, skewMs) => {
      const clientNow = () => new Date(t.clock.now().getTime() + skewMs).toISOString();
      await presence(t, bob);
      t.clock.advance(20);
      const from = clientNow();
      t.clock.advance(100);
      expect((await setStatus(t, carol, { status: 'busy' })).status).toBe(200);
      t.clock.advanceSeconds(1);
      expect((await presence(t, bob, { from })).body.users).toEqual([view(carol, 'busy')]);
    });

    it('the same `from` sent again (its answer was lost) gets the change again', async () => {
      await presence(t, bob);
      t.clock.advance(20);
      const from = nowIso();
      t.clock.advance(500);
      expect((await setStatus(t, carol, { status: 'busy' })).status).toBe(200);
      t.clock.advance(1500);

      const lost = await presence(t, bob, { from });
      expect(lost.body.users).toEqual([view(carol, 'busy')]);
      t.clock.advanceSeconds(2);
      const again = await presence(t, bob, { from });
      expect(again.body.users).toEqual([view(carol, 'busy')]);
    });
  });

  describe('a retried write never applies twice', () => {
    const current = appPerTest(kind);
    beforeEach(() => setUp(current));

    it('the same write sent twice with one expected revision lands once: the revision moves on by exactly one', async () => {
      const before = await t.store.findUserById(alice.user.id);
      if (before === null) throw new Error('alice is missing');
      const now = t.clock.now();
      const write: PresenceWrite = {
        status: 'busy',
        statusText: 'first',
        presenceText: null,
        presenceExpiresAt: new Date(now.getTime() + TTL_SECONDS * 1000),
        lastSeenAt: now,
        presenceChangedAt: now,
        presenceSeen: { status: 'busy', statusText: 'first', statusDefault: null, statusConnection: null },
        updatedAt: now,
      };
      const version = { presenceRevision: before.presenceRevision, rocketChat: rocketChatPresenceOf(before) };

      const landed = await t.store.writePresence(alice.user.id, version, write);
      expect(landed).toEqual(expect.objectContaining({ status: 'busy', statusText: 'first', presenceRevision: before.presenceRevision + 1 }));
      expect(await t.store.writePresence(alice.user.id, version, write)).toBeNull();
      expect(await t.store.writePresence(alice.user.id, version, { ...write, statusText: 'second' })).toBeNull();

      const after = await t.store.findUserById(alice.user.id);
      expect(after).toEqual(expect.objectContaining({ status: 'busy', statusText: 'first', presenceRevision: before.presenceRevision + 1 }));
      await expectSeenEverywhere([t, b], bob, alice, 'busy', 'first');
    });
  });
});
