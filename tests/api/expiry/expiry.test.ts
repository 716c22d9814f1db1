import request from 'supertest';
import { appPerTest, buildTestApp, currentApp, describeEachStore, seedUsers, type SeededUser, type TestApp } from '../../support/testApp';
import { expectPnutSuccess, unixSeconds } from '../pnut/pnutHelpers';

type Json = Record<string, unknown>;

const TTL = 900;

describeEachStore('presence expiry', (kind) => {
  const standard = appPerTest(kind);
  /** An app with other settings, for one test; closed after it. */
  let configured: TestApp | undefined;
  const t = currentApp({ get t() { return configured ?? standard.t; } });
  afterEach(async () => {
    await configured?.close();
    configured = undefined;
  });
  let alice: SeededUser, bob: SeededUser;
  let t0: number;
  beforeEach(async () => {
    [alice, bob] = await seedUsers(t, {}, {});
    t0 = t.clock.now().getTime();
  });

  /** Moves the fake clock to `seconds` after the test's start. */
  function at(seconds: number): void {
    t.clock.set(new Date(t0 + seconds * 1000));
  }

  function iso(seconds: number): string {
    return new Date(t0 + seconds * 1000).toISOString();
  }

  async function pnutPut(user: SeededUser, body: Json): Promise<void> {
    await request(t.app).put('/v0/users/me/presence').set(user.bearer).send(body).expect(200);
  }

  async function rcSetStatus(user: SeededUser, body: Json): Promise<void> {
    await request(t.app).post('/api/v1/users.setStatus').set(user.headers).send(body).expect(200, { success: true });
  }

  /** Alice as every read of both APIs shows her to Bob (and to herself), no update_presence anywhere. */
  async function aliceEverywhere() {
    const rcFull = await request(t.app).get('/api/v1/users.presence').set(bob.headers).expect(200);
    const rcIds = await request(t.app).get(`/api/v1/users.presence?ids=${alice.user.id}`).set(bob.headers).expect(200);
    const getStatus = await request(t.app).get(`/api/v1/users.getStatus?userId=${alice.user.id}`).set(bob.headers).expect(200);
    const getPresence = await request(t.app).get(`/api/v1/users.getPresence?userId=${alice.user.id}`).set(bob.headers).expect(200);
    const ownStatus = await request(t.app).get('/api/v1/users.getStatus').set(alice.headers).expect(200);
    const me = await request(t.app).get('/api/v1/me').set(alice.headers).expect(200);
    const pnutList = expectPnutSuccess(await request(t.app).get('/v0/presence').set(bob.bearer)) as Json[];
    const pnutUser = expectPnutSuccess(await request(t.app).get(`/v0/users/${alice.user.id}/presence`).set(bob.bearer)) as Json;
    const pnutMe = expectPnutSuccess(await request(t.app).get('/v0/users/me/presence').set(alice.bearer)) as Json;
    const find = (users: Json[], key: string) => users.find((user) => user[key] === alice.user.id);
    return {
      rcFull: (find(rcFull.body.users, '_id')?.status as string | undefined) ?? 'absent',
      rcIds: (find(rcIds.body.users, '_id')?.status as string | undefined) ?? 'absent',
      getStatus: getStatus.body.status as string,
      connectionStatus: ownStatus.body.connectionStatus as string,
      getPresence: getPresence.body.presence as string,
      ownStatus: ownStatus.body.status as string,
      me: me.body.status as string,
      pnutList: (find(pnutList, 'id')?.presence as string | undefined) ?? 'absent',
      pnutUser: pnutUser.presence as string,
      pnutMe: pnutMe.presence as string,
    };
  }

  const OFFLINE_EVERYWHERE = {
    rcFull: 'absent',
    rcIds: 'absent',
    getStatus: 'offline',
    connectionStatus: 'offline',
    getPresence: 'offline',
    ownStatus: 'offline',
    me: 'offline',
    pnutList: 'absent',
    pnutUser: 'offline',
    pnutMe: 'offline',
  };

  function presentEverywhere(status: string, pnut: string = status) {
    return {
      rcFull: status,
      rcIds: status,
      getStatus: status,
      connectionStatus: 'online',
      getPresence: status,
      ownStatus: status,
      me: status,
      pnutList: pnut,
      pnutUser: pnut,
      pnutMe: pnut,
    };
  }

  /** Bob's delta: users.presence?from=…, as Rocket.Chat's client polls it. */
  async function delta(fromSeconds: number): Promise<{ users: Json[]; full: boolean }> {
    const res = await request(t.app).get(`/api/v1/users.presence?from=${encodeURIComponent(iso(fromSeconds))}`).set(bob.headers).expect(200);
    return res.body as { users: Json[]; full: boolean };
  }

  describe('after the TTL the user is offline in every read, with no background job', () => {
    it.each([
      ['a presence set through pnut', () => pnutPut(alice, { presence: 'online' }), () => presentEverywhere('online')],
      ['a free-string presence set through pnut', () => pnutPut(alice, { presence: 'on the train' }), () => presentEverywhere('online', 'on the train')],
      ['a status set through Rocket.Chat\'s users.setStatus', () => rcSetStatus(alice, { status: 'busy' }), () => presentEverywhere('busy')],
    ])('%s', async (_name, set, present) => {
      await set();
      at(TTL - 1);
      expect(await aliceEverywhere()).toEqual(present());
      at(TTL);
      expect(await aliceEverywhere()).toEqual(OFFLINE_EVERYWHERE);
      at(TTL + 3600);
      expect(await aliceEverywhere()).toEqual(OFFLINE_EVERYWHERE);
    });

    it('a presence set through update_presence expires the same way', async () => {
      await request(t.app).get('/v0/presence?update_presence=away').set(alice.bearer).expect(200);
      at(TTL - 1);
      expect(await aliceEverywhere()).toEqual(presentEverywhere('away'));
      at(TTL);
      expect(await aliceEverywhere()).toEqual(OFFLINE_EVERYWHERE);
    });

    it('the lists do not serve a stale cached copy past the expiry', async () => {
      await pnutPut(alice, { presence: 'online' });
      at(TTL - 0.001);
      const rcBefore = await request(t.app).get('/api/v1/users.presence').set(bob.headers).expect(200);
      expect(rcBefore.body.users).toHaveLength(1);
      expect(expectPnutSuccess(await request(t.app).get('/v0/presence').set(bob.bearer))).toHaveLength(1);
      at(TTL);
      const rcAfter = await request(t.app).get('/api/v1/users.presence').set(bob.headers).expect(200);
      expect(rcAfter.body).toEqual({ users: [], full: true, success: true });
      expect(expectPnutSuccess(await request(t.app).get('/v0/presence').set(bob.bearer))).toEqual([]);
    });

    it('pnut keeps last_seen_at after the expiry', async () => {
      await pnutPut(alice, { presence: 'online' });
      at(TTL + 60);
      const data = expectPnutSuccess(await request(t.app).get(`/v0/users/${alice.user.id}/presence`).set(bob.bearer));
      expect(data).toEqual(expect.objectContaining({ presence: 'offline', last_seen_at: iso(0) }));
    });

    it('only the expired user goes offline', async () => {
      const carol = await t.seedUser();
      await pnutPut(alice, { presence: 'online' });
      at(300);
      await pnutPut(carol, { presence: 'online' });
      at(TTL);
      const list = expectPnutSuccess(await request(t.app).get('/v0/presence').set(bob.bearer)) as Json[];
      expect(list.map((user) => user.id)).toEqual([carol.user.id]);
      const rc = await request(t.app).get('/api/v1/users.presence').set(bob.headers).expect(200);
      expect((rc.body.users as Json[]).map((user) => user._id)).toEqual([carol.user.id]);
    });

    it('honours a configured PRESENCE_TTL', async () => {
      configured = await buildTestApp(kind, { presenceTtlSeconds: 120 });
      [alice, bob] = await seedUsers(t, {}, {});
      t0 = t.clock.now().getTime();
      await pnutPut(alice, { presence: 'short' });
      at(119);
      expect(await aliceEverywhere()).toEqual(presentEverywhere('online', 'short'));
      at(120);
      expect(await aliceEverywhere()).toEqual(OFFLINE_EVERYWHERE);
    });
  });

  describe('deltas: an expiry is a change at the moment it happened', () => {
    it('a delta whose window contains the expiry lists the user as offline', async () => {
      await pnutPut(alice, { presence: 'online' });
      at(TTL + 5);
      // from 505 s ago: the set at 0 is outside the window, the expiry at 900 inside.
      const answer = await delta(400);
      expect(answer).toEqual({
        users: [{ _id: alice.user.id, username: alice.user.username, name: alice.user.name, status: 'offline', utcOffset: 0 }],
        full: false,
        success: true,
      });
    });

    it('lists the expiry also when it happened exactly at the time of the poll', async () => {
      await pnutPut(alice, { presence: 'online' });
      at(TTL);
      const answer = await delta(TTL - 30);
      expect(answer.full).toBe(false);
      expect(answer.users).toEqual([expect.objectContaining({ _id: alice.user.id, status: 'offline' })]);
    });

    it('a poll soon after the expiry, from the previous poll, lists it', async () => {
      await rcSetStatus(alice, { status: 'away' });
      at(TTL - 20);
      expect((await delta(TTL - 40)).users).toEqual([]);
      at(TTL + 10);
      expect((await delta(TTL - 20)).users).toEqual([expect.objectContaining({ _id: alice.user.id, status: 'offline' })]);
    });

    it('a delta whose window does not contain the expiry does not list the user to a caller this instance has not answered', async () => {
      const carol = await t.seedUser();
      await pnutPut(alice, { presence: 'online' });
      at(TTL + 30);
      // From beyond the expiry and its overlap: nothing changed.
      const res = await request(t.app).get(`/api/v1/users.presence?from=${encodeURIComponent(iso(TTL + 15))}`).set(carol.headers).expect(200);
      expect(res.body).toEqual({ users: [], full: false, success: true });
    });

    it('a caller answered here before the expiry, asking from beyond it, is not sent it either: its `from` says it knows', async () => {
      await pnutPut(alice, { presence: 'online' });
      at(TTL - 100);
      expect((await delta(TTL - 200)).users).toEqual([]);
      at(TTL + 30);
      expect(await delta(TTL + 15)).toEqual({ users: [], full: false, success: true });
    });

    it('a renewed presence is not reported at its old expiry time', async () => {
      await pnutPut(alice, { presence: 'online' });
      at(800);
      await pnutPut(alice, { presence: 'online' }); // expiry moves from 900 to 1700
      at(1000);
      // The window (840 s … 1000 s) contains the old expiry but not the renewal.
      expect((await delta(850)).users).toEqual([]);
      // The new expiry is reported when it comes.
      at(1705);
      expect((await delta(1650)).users).toEqual([expect.objectContaining({ _id: alice.user.id, status: 'offline' })]);
    });

    it.each([
      ['a presence deleted before its expiry (pnut 0)', () => pnutPut(alice, { presence: 'online' }), () => pnutPut(alice, { presence: '0' })],
      ['an invisible (offline) status chosen through Rocket.Chat', () => rcSetStatus(alice, { status: 'away' }), () => rcSetStatus(alice, { status: 'offline' })],
    ])('%s yields no later, phantom change at the old expiry time', async (_name, set, unset) => {
      await set();
      at(10);
      await unset();
      at(TTL + 5);
      expect((await delta(TTL - 60)).users).toEqual([]);
    });

    it('a user whose presence expired and was set again shows once, with the current status', async () => {
      await pnutPut(alice, { presence: 'online' });
      at(TTL + 20);
      await pnutPut(alice, { presence: 'busy' });
      at(TTL + 30);
      const answer = await delta(TTL - 30);
      expect(answer.users).toEqual([expect.objectContaining({ _id: alice.user.id, status: 'busy' })]);
    });

    it('lists each user whose expiry is inside the window, and only those', async () => {
      const carol = await t.seedUser();
      const dave = await t.seedUser();
      await pnutPut(alice, { presence: 'online' }); // expires at 900
      at(200);
      await pnutPut(carol, { presence: 'online' }); // expires at 1100
      at(250);
      await pnutPut(dave, { presence: 'online', expiration: unixSeconds(new Date(t0)) + 2000 }); // expires at 2000
      at(1150);
      const answer = await delta(850);
      expect(answer.full).toBe(false);
      expect(answer.users.map((user) => [user._id, user.status]).sort()).toEqual(
        [
          [alice.user.id, 'offline'],
          [carol.user.id, 'offline'],
        ].sort(),
      );
    });
  });

  describe('renewal pushes the expiry', () => {
    async function expectOnlineUntil(expirySeconds: number, status: string, pnut: string = status): Promise<void> {
      at(expirySeconds - 1);
      expect(await aliceEverywhere()).toEqual(presentEverywhere(status, pnut));
      at(expirySeconds);
      expect(await aliceEverywhere()).toEqual(OFFLINE_EVERYWHERE);
    }

    it('by a new pnut PUT', async () => {
      await pnutPut(alice, { presence: 'online' });
      at(800);
      await pnutPut(alice, { presence: 'online' });
      await expectOnlineUntil(800 + TTL, 'online');
    });

    it('by Rocket.Chat users.setStatus with a status', async () => {
      await pnutPut(alice, { presence: 'online' });
      at(800);
      await rcSetStatus(alice, { status: 'away' });
      await expectOnlineUntil(800 + TTL, 'away');
    });

    it('by Rocket.Chat users.setStatus with only a message', async () => {
      await rcSetStatus(alice, { status: 'online' });
      at(800);
      await rcSetStatus(alice, { message: 'still here' });
      await expectOnlineUntil(800 + TTL, 'online', 'still here');
    });

    it('by update_presence on a Rocket.Chat GET', async () => {
      await pnutPut(alice, { presence: 'online' });
      at(800);
      const res = await request(t.app).get('/api/v1/me?update_presence=online').set(alice.headers).expect(200);
      expect(res.headers['x-updated-presence']).toBe('true');
      await expectOnlineUntil(800 + TTL, 'online');
    });

    it('by update_presence on a Rocket.Chat POST', async () => {
      await rcSetStatus(alice, { status: 'busy' });
      at(800);
      const res = await request(t.app).post('/api/v1/users.setStatus?update_presence=busy').set(alice.headers).send({ message: 'renewed' }).expect(200);
      expect(res.headers['x-updated-presence']).toBe('true');
      await expectOnlineUntil(800 + TTL, 'busy');
    });

    it('by update_presence on a pnut GET', async () => {
      await pnutPut(alice, { presence: 'online' });
      at(800);
      const res = await request(t.app).get(`/v0/users/${bob.user.id}/presence?update_presence=online`).set(alice.bearer);
      expect(expectPnutSuccess(res)).toEqual(expect.objectContaining({ id: bob.user.id }));
      expect(res.body.meta.updated_presence).toBe(true);
      await expectOnlineUntil(800 + TTL, 'online');
    });

    it('a read without update_presence does not renew', async () => {
      await pnutPut(alice, { presence: 'online' });
      at(800);
      await request(t.app).get('/v0/users/me/presence').set(alice.bearer).expect(200);
      await request(t.app).get('/api/v1/users.getStatus').set(alice.headers).expect(200);
      await request(t.app).get('/api/v1/me').set(alice.headers).expect(200);
      at(TTL);
      expect(await aliceEverywhere()).toEqual(OFFLINE_EVERYWHERE);
    });

    it('a renewal after the expiry brings the user back', async () => {
      await pnutPut(alice, { presence: 'online' });
      at(TTL + 100);
      expect((await aliceEverywhere()).pnutUser).toBe('offline');
      await rcSetStatus(alice, { status: 'online' });
      await expectOnlineUntil(TTL + 100 + TTL, 'online');
    });
  });

  describe('a custom `expiration` is honoured', () => {
    it('longer than the TTL', async () => {
      await pnutPut(alice, { presence: 'long meeting', expiration: unixSeconds(new Date(t0)) + 3600 });
      at(TTL + 100);
      expect(await aliceEverywhere()).toEqual(presentEverywhere('online', 'long meeting'));
      at(3599);
      expect((await aliceEverywhere()).pnutUser).toBe('long meeting');
      at(3600);
      expect(await aliceEverywhere()).toEqual(OFFLINE_EVERYWHERE);
    });

    it('shorter than the TTL', async () => {
      await pnutPut(alice, { presence: 'brb', expiration: unixSeconds(new Date(t0)) + 60 });
      at(59);
      expect((await aliceEverywhere()).pnutUser).toBe('brb');
      at(60);
      expect(await aliceEverywhere()).toEqual(OFFLINE_EVERYWHERE);
    });

    it('given as a query parameter or a form field', async () => {
      const expiration = unixSeconds(new Date(t0)) + 1800;
      await request(t.app).put(`/v0/users/me/presence?presence=q&expiration=${expiration}`).set(alice.bearer).send({}).expect(200);
      await request(t.app).put('/v0/users/me/presence').set(bob.bearer).type('form').send(`presence=f&expiration=${expiration}`).expect(200);
      at(1799);
      expect(expectPnutSuccess(await request(t.app).get('/v0/presence').set(bob.bearer))).toHaveLength(2);
      at(1800);
      expect(expectPnutSuccess(await request(t.app).get('/v0/presence').set(bob.bearer))).toEqual([]);
    });

    it('up to 7 days ahead', async () => {
      await pnutPut(alice, { presence: 'on holiday', expiration: unixSeconds(new Date(t0)) + 7 * 86400 });
      at(7 * 86400 - 1);
      expect((await aliceEverywhere()).pnutUser).toBe('on holiday');
      at(7 * 86400);
      expect(await aliceEverywhere()).toEqual(OFFLINE_EVERYWHERE);
    });

    it('its expiry shows in a delta', async () => {
      await pnutPut(alice, { presence: 'brb', expiration: unixSeconds(new Date(t0)) + 60 });
      at(100);
      expect((await delta(50)).users).toEqual([expect.objectContaining({ _id: alice.user.id, status: 'offline' })]);
      at(400);
      expect((await delta(300)).users).toEqual([]);
    });

    it('a later PUT without expiration goes back to the TTL', async () => {
      await pnutPut(alice, { presence: 'long', expiration: unixSeconds(new Date(t0)) + 3600 });
      at(100);
      await pnutPut(alice, { presence: 'normal' });
      await expectOnlineUntilTtl(100);
    });

    describe('a renewal never shortens it', () => {
      const SIX_DAYS = 6 * 86400;
      it.each([
        ['update_presence on a read', () => request(t.app).get('/v0/presence?update_presence=1').set(alice.bearer).expect(200), 'online'],
        ['update_presence with another string', () => request(t.app).get('/api/v1/me?update_presence=still%20away').set(alice.headers).expect(200), 'still away'],
        ['update_presence on the PUT itself', () => request(t.app).put('/v0/users/me/presence?update_presence=1').set(alice.bearer).send({}).expect(200), 'online'],
        ['users.setStatus with a status', () => rcSetStatus(alice, { status: 'online' }), 'on holiday'],
        ['users.setStatus with a message alone', () => rcSetStatus(alice, { message: 'back monday' }), 'back monday'],
      ])('%s keeps a chosen 6-day expiration', async (_name, renew, shown) => {
        await pnutPut(alice, { presence: 'on holiday', expiration: unixSeconds(new Date(t0)) + SIX_DAYS });
        at(3600);
        await renew();
        at(3600 + TTL + 1);
        expect((await aliceEverywhere()).pnutUser).toBe(shown);
        at(SIX_DAYS - 1);
        expect((await aliceEverywhere()).getStatus).not.toBe('offline');
        at(SIX_DAYS);
        expect(await aliceEverywhere()).toEqual(OFFLINE_EVERYWHERE);
      });

      // The presence declared (its string, for how long), when and with what update_presence it is renewed, and when it ends.
      it.each([
        ['a renewal to another status is a new presence: away for 6 days, then update_presence=online lasts the time to live', 'away', SIX_DAYS, 3600, 'online', 3600 + TTL],
        ['while a renewal of the same status keeps it: away for 6 days, then update_presence=away', 'away', SIX_DAYS, 3600, 'away', SIX_DAYS],
        ['and lengthens one that ends before its own time to live', 'brb', 60, 30, 'brb', 30 + TTL],
      ])('%s', async (_name, declared, lastingSeconds, renewedAt, renewal, endsAt) => {
        await pnutPut(alice, { presence: declared, expiration: unixSeconds(new Date(t0)) + lastingSeconds });
        at(renewedAt);
        await request(t.app).get(`/v0/presence?update_presence=${renewal}`).set(alice.bearer).expect(200);
        at(endsAt - 1);
        expect((await aliceEverywhere()).pnutUser).toBe(renewal);
        at(endsAt);
        expect(await aliceEverywhere()).toEqual(OFFLINE_EVERYWHERE);
      });
    });

    async function expectOnlineUntilTtl(setAt: number): Promise<void> {
      at(setAt + TTL - 1);
      expect((await aliceEverywhere()).pnutUser).toBe('normal');
      at(setAt + TTL);
      expect(await aliceEverywhere()).toEqual(OFFLINE_EVERYWHERE);
    }
  });
});
