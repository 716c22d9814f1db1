import request from 'supertest';
import { appPerTest, currentApp, describeEachStore, seedUsers, type SeededUser } from '../../support/testApp';
import { expectCleanJsonError, expectRocketChatJson, goStatus } from './rocketChatKit';

/** GET /api/v1/users.getStatus: own status, or another user's by userId / username. */
describeEachStore('Rocket.Chat users.getStatus', (kind) => {
  const t = currentApp(appPerTest(kind));
  let alice: SeededUser, bob: SeededUser;
  beforeEach(async () => {
    [alice, bob] = await seedUsers(t, { username: 'alice' }, { username: 'bob' });
  });

  const getStatus = (who: SeededUser, query: Record<string, string> = {}) =>
    request(t.app).get('/api/v1/users.getStatus').query(query).set(who.headers);

  it('answers the caller’s own status with connectionStatus', async () => {
    await goStatus(t, alice, 'away');
    const res = await getStatus(alice);
    expect(res.status).toBe(200);
    expectRocketChatJson(res);
    expect(res.body).toEqual({ _id: alice.user._id, status: 'away', connectionStatus: 'online', success: true });
  });

  it('answers offline for a caller who never set a status', async () => {
    const res = await getStatus(alice);
    expect(res.body).toEqual({ _id: alice.user._id, status: 'offline', connectionStatus: 'offline', success: true });
  });

  it('answers the caller’s own status when the caller names themself', async () => {
    await goStatus(t, alice, 'busy');
    const res = await getStatus(alice, { userId: alice.user._id });
    expect(res.body).toEqual({ _id: alice.user._id, status: 'busy', connectionStatus: 'online', success: true });
  });

  it('answers another user’s status by userId and by username: {_id, status}', async () => {
    await goStatus(t, bob, 'busy');
    for (const query of [{ userId: bob.user._id }, { username: 'bob' }] as Record<string, string>[]) {
      const res = await getStatus(alice, query);
      expect(res.status).toBe(200);
      expectRocketChatJson(res);
      // Rocket.Chat sends connectionStatus only for oneself.
      expect(res.body).toEqual({ _id: bob.user._id, status: 'busy', success: true });
    }
  });

  it('answers offline for another user who went invisible or whose presence ran out', async () => {
    await goStatus(t, bob, 'online');
    await goStatus(t, bob, 'offline');
    expect((await getStatus(alice, { userId: bob.user._id })).body.status).toBe('offline');
    await goStatus(t, bob, 'away');
    t.clock.advanceSeconds(901);
    expect((await getStatus(alice, { userId: bob.user._id })).body.status).toBe('offline');
  });

  it('answers 400 error-invalid-user for an unknown user, as Rocket.Chat does', async () => {
    for (const query of [{ userId: 'NoSuchUser1234567' }, { username: 'nobody' }] as Record<string, string>[]) {
      const res = await getStatus(alice, query);
      expect(res.status).toBe(400);
      expectCleanJsonError(res);
      expect(res.body).toEqual({ success: false, error: expect.stringContaining('[error-invalid-user]'), errorType: 'error-invalid-user' });
    }
  });

  it('refuses a userId that is an operator or an array', async () => {
    for (const query of ['userId[$ne]=x', `userId=${bob.user._id}&userId=${alice.user._id}`, 'username[$regex]=.*']) {
      const res = await request(t.app).get('/api/v1/users.getStatus').query(query).set(alice.headers);
      expect(res.status).toBe(400);
      expectCleanJsonError(res);
      expect(res.body.errorType).toBe('invalid-params');
    }
  });
});
