import request from 'supertest';
import { appPerTest, currentApp, describeEachStore, seedUsers, type SeededUser } from '../../support/testApp';
import { expectPnutError, expectPnutSuccess, expectPresenceObject } from './pnutHelpers';

type PresenceObject = Record<string, unknown>;

describeEachStore('GET /v0/users/{user_id}/presence', (kind) => {
  const t = currentApp(appPerTest(kind));
  let alice: SeededUser, bob: SeededUser;
  beforeEach(async () => {
    [alice, bob] = await seedUsers(t, {}, {});
  });

  async function get(path: string, caller: SeededUser = alice): Promise<PresenceObject> {
    const data = expectPnutSuccess(await request(t.app).get(`/v0/users/${path}/presence`).set(caller.bearer)) as PresenceObject;
    expectPresenceObject(data);
    return data;
  }

  it('a user who never set a presence is offline, without last_seen_at', async () => {
    const data = await get(bob.user.id);
    expect(data).toEqual({ id: bob.user.id, username: bob.user.username, name: bob.user.name, presence: 'offline' });
    expect(data).not.toHaveProperty('last_seen_at');
  });

  it('`me` reads the caller\'s own presence', async () => {
    await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'around' }).expect(200);
    const viaMe = await get('me');
    expect(viaMe).toEqual(expect.objectContaining({ id: alice.user.id, presence: 'around' }));
    expect(await get(alice.user.id)).toEqual(viaMe);
  });

  it('reads another user\'s presence and last_seen_at', async () => {
    const setAt = t.clock.now();
    await request(t.app).put('/v0/users/me/presence').set(bob.bearer).send({ presence: 'away' }).expect(200);
    t.clock.advanceSeconds(30);
    expect(await get(bob.user.id)).toEqual({
      id: bob.user.id,
      username: bob.user.username,
      name: bob.user.name,
      presence: 'away',
      last_seen_at: setAt.toISOString(),
    });
  });

  it('last_seen_at follows the latest update', async () => {
    await request(t.app).put('/v0/users/me/presence').set(bob.bearer).send({ presence: 'online' }).expect(200);
    t.clock.advanceSeconds(120);
    const renewedAt = t.clock.now();
    await request(t.app).put('/v0/users/me/presence').set(bob.bearer).send({ presence: 'online' }).expect(200);
    expect((await get(bob.user.id)).last_seen_at).toBe(renewedAt.toISOString());
  });

  it('last_seen_at does not move while the user is invisible, whatever calls he makes', async () => {
    await request(t.app).put('/v0/users/me/presence').set(bob.bearer).send({ presence: 'online' }).expect(200);
    const lastShown = t.clock.now().toISOString();
    t.clock.advanceSeconds(60);
    await request(t.app).post('/api/v1/users.setStatus').set(bob.headers).send({ status: 'offline' }).expect(200);
    t.clock.advanceSeconds(60);
    await request(t.app).get('/v0/presence').query({ update_presence: 'offline' }).set(bob.bearer).expect(200);
    await request(t.app).post('/api/v1/users.setStatus').set(bob.headers).send({ message: 'still here' }).expect(200);
    await request(t.app).put('/v0/users/me/presence').set(bob.bearer).send({ presence: '0' }).expect(200);
    expect(await get(bob.user.id)).toEqual({ id: bob.user.id, username: bob.user.username, name: bob.user.name, presence: 'offline', last_seen_at: lastShown });
    t.clock.advanceSeconds(60);
    await request(t.app).put('/v0/users/me/presence').set(bob.bearer).send({ presence: 'away' }).expect(200);
    expect((await get(bob.user.id)).last_seen_at).toBe(t.clock.now().toISOString());
  });

  it('a deleted presence reads offline', async () => {
    await request(t.app).put('/v0/users/me/presence').set(bob.bearer).send({ presence: 'online' }).expect(200);
    await request(t.app).put('/v0/users/me/presence').set(bob.bearer).send({ presence: '0' }).expect(200);
    expect((await get(bob.user.id)).presence).toBe('offline');
  });

  it('an unknown but well-formed user id is 404 in the envelope', async () => {
    expectPnutError(await request(t.app).get('/v0/users/NoSuchUser1234567/presence').set(alice.bearer), 404, 'User not found');
  });
});
