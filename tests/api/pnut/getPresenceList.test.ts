import request from 'supertest';
import { appPerTest, currentApp, describeEachStore, usersPerTest, type SeededUser } from '../../support/testApp';
import { expectPnutSuccess, expectPresenceObject, presenceObject } from './pnutHelpers';

type PresenceObject = Record<string, unknown>;

describeEachStore('GET /v0/presence', (kind) => {
  const t = currentApp(appPerTest(kind));
  const { alice } = usersPerTest(t, { alice: {} });

  async function list(caller: SeededUser = alice): Promise<PresenceObject[]> {
    return expectPnutSuccess(await request(t.app).get('/v0/presence').set(caller.bearer)) as PresenceObject[];
  }

  async function put(user: SeededUser, presence: string): Promise<void> {
    await request(t.app).put('/v0/users/me/presence').set(user.bearer).send({ presence }).expect(200);
  }

  it('is an empty list when nobody has a presence', async () => {
    await t.seedUser();
    expect(await list()).toEqual([]);
  });

  it('lists every user whose presence is not offline, the caller included', async () => {
    const bob = await t.seedUser();
    const carol = await t.seedUser();
    await t.seedUser(); // never set a presence
    await put(alice, 'online');
    await put(bob, 'writing tests');
    await put(carol, 'busy');
    const users = await list();
    expect(users.map((user) => [user.id, user.presence]).sort()).toEqual(
      [
        [alice.user.id, 'online'],
        [bob.user.id, 'writing tests'],
        [carol.user.id, 'busy'],
      ].sort(),
    );
  });

  it('gives presence objects with the documented keys only', async () => {
    await put(alice, 'online');
    const [object] = await list();
    expectPresenceObject(object);
    expect(object).toEqual(presenceObject(alice, 'online', t.clock.now()));
  });

  it('leaves out users whose presence was deleted with 0 or offline', async () => {
    const bob = await t.seedUser();
    await put(alice, 'online');
    await put(bob, 'online');
    await put(alice, '0');
    await put(bob, 'offline');
    expect(await list()).toEqual([]);
  });

  it('leaves out users who chose offline (invisible) through Rocket.Chat', async () => {
    await put(alice, 'online');
    await request(t.app).post('/api/v1/users.setStatus').set(alice.headers).send({ status: 'offline' }).expect(200);
    expect(await list()).toEqual([]);
  });

  it('includes users whose presence was set through Rocket.Chat', async () => {
    const bob = await t.seedUser();
    await request(t.app).post('/api/v1/users.setStatus').set(bob.headers).send({ status: 'away' }).expect(200);
    expect(await list()).toEqual([expect.objectContaining({ id: bob.user.id, presence: 'away' })]);
  });

  it('shows a change made just before the read (no stale cached list)', async () => {
    await put(alice, 'online');
    expect((await list()).map((user) => user.presence)).toEqual(['online']);
    await put(alice, 'lunch');
    expect((await list()).map((user) => user.presence)).toEqual(['lunch']);
    await put(alice, 'offline');
    expect(await list()).toEqual([]);
  });
});
