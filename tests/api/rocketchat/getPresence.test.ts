import request from 'supertest';
import { TEST_PASSWORD, appPerTest, currentApp, describeEachStore, seedUsers, type SeededUser } from '../../support/testApp';
import { expectCleanJsonError, expectRocketChatJson, goStatus } from './rocketChatKit';

/** GET /api/v1/users.getPresence: {presence}, and for oneself also connectionStatus and lastLogin. */
describeEachStore('Rocket.Chat users.getPresence', (kind) => {
  const t = currentApp(appPerTest(kind));
  let alice: SeededUser, bob: SeededUser;
  beforeEach(async () => {
    [alice, bob] = await seedUsers(t, { username: 'alice' }, { username: 'bob' });
  });

  const getPresence = (who: SeededUser, query: Record<string, string> = {}) =>
    request(t.app).get('/api/v1/users.getPresence').query(query).set(who.headers);

  it('answers offline for a user who never connected', async () => {
    const res = await getPresence(alice, { userId: bob.user._id });
    expect(res.status).toBe(200);
    expectRocketChatJson(res);
    expect(res.body).toEqual({ presence: 'offline', success: true });
  });

  it.each(['online', 'away', 'busy'])('answers another user’s %s presence, by userId and by username', async (status) => {
    await goStatus(t, bob, status);
    expect((await getPresence(alice, { userId: bob.user._id })).body).toEqual({ presence: status, success: true });
    expect((await getPresence(alice, { username: 'bob' })).body).toEqual({ presence: status, success: true });
  });

  it('answers offline for an invisible user and for one whose presence ran out', async () => {
    await goStatus(t, bob, 'offline');
    expect((await getPresence(alice, { userId: bob.user._id })).body).toEqual({ presence: 'offline', success: true });
    await goStatus(t, bob, 'online');
    t.clock.advanceSeconds(900);
    expect((await getPresence(alice, { userId: bob.user._id })).body).toEqual({ presence: 'offline', success: true });
  });

  it('answers the caller’s own presence with connectionStatus when no user is named', async () => {
    const idle = await getPresence(alice);
    expect(idle.status).toBe(200);
    expect(idle.body).toEqual({ presence: 'offline', connectionStatus: 'offline', success: true });
    await goStatus(t, alice, 'busy');
    expect((await getPresence(alice)).body).toEqual({ presence: 'busy', connectionStatus: 'online', success: true });
    expect((await getPresence(alice, { userId: alice.user._id })).body).toEqual({ presence: 'busy', connectionStatus: 'online', success: true });
  });

  it('adds the caller’s lastLogin once they logged in', async () => {
    const login = await request(t.app).post('/api/v1/login').send({ user: 'alice', password: TEST_PASSWORD });
    expect(login.status).toBe(200);
    const loggedInAt = t.clock.now().toISOString();
    t.clock.advanceSeconds(5);
    const res = await getPresence(alice);
    expect(res.body).toEqual({ presence: 'offline', connectionStatus: 'offline', lastLogin: loggedInAt, success: true });
    // Never shown for somebody else.
    expect((await getPresence(bob, { userId: alice.user._id })).body).toEqual({ presence: 'offline', success: true });
  });

  it('answers 400 error-invalid-user for an unknown user, as Rocket.Chat does', async () => {
    for (const query of [{ userId: 'NoSuchUser1234567' }, { username: 'nobody' }] as Record<string, string>[]) {
      const res = await getPresence(alice, query);
      expect(res.status).toBe(400);
      expectCleanJsonError(res);
      expect(res.body).toEqual({ success: false, error: expect.stringContaining('[error-invalid-user]'), errorType: 'error-invalid-user' });
    }
  });

  it('refuses a userId that is an operator or an array', async () => {
    for (const query of ['userId[$ne]=x', `userId=${bob.user._id}&userId=${alice.user._id}`]) {
      const res = await request(t.app).get('/api/v1/users.getPresence').query(query).set(alice.headers);
      expect(res.status).toBe(400);
      expectCleanJsonError(res);
      expect(res.body).toEqual({ success: false, error: expect.stringContaining('"userId"'), errorType: 'invalid-params' });
    }
  });
});
