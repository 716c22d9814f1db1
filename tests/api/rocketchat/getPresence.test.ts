import request from 'supertest';
import { TEST_PASSWORD, appPerTest, currentApp, describeEachStore, usersPerTest, type SeededUser } from '../../support/testApp';
import { expectRocketChatError, expectRocketChatJson, goStatus, INVALID_USER, notASingleString, rcGet } from './rocketChatKit';

/** GET /api/v1/users.getPresence: {presence}, and for oneself also connectionStatus and lastLogin. */
describeEachStore('Rocket.Chat users.getPresence', (kind) => {
  const t = currentApp(appPerTest(kind));
  const { alice, bob } = usersPerTest(t, { alice: { username: 'alice' }, bob: { username: 'bob' } });
  const getPresence = (who: SeededUser, query: Record<string, string> | string = {}) => rcGet(t, 'users.getPresence', who, query);

  it('answers offline for a user who never connected', async () => {
    const res = await getPresence(alice, { userId: bob.user.id });
    expect(res.status).toBe(200);
    expectRocketChatJson(res);
    expect(res.body).toEqual({ presence: 'offline', success: true });
  });

  it.each(['online', 'away', 'busy'])('answers another user’s %s presence, by userId and by username', async (status) => {
    await goStatus(t, bob, status);
    expect((await getPresence(alice, { userId: bob.user.id })).body).toEqual({ presence: status, success: true });
    expect((await getPresence(alice, { username: 'bob' })).body).toEqual({ presence: status, success: true });
  });

  it('answers offline for an invisible user and for one whose presence ran out', async () => {
    await goStatus(t, bob, 'offline');
    expect((await getPresence(alice, { userId: bob.user.id })).body).toEqual({ presence: 'offline', success: true });
    await goStatus(t, bob, 'online');
    t.clock.advanceSeconds(900);
    expect((await getPresence(alice, { userId: bob.user.id })).body).toEqual({ presence: 'offline', success: true });
  });

  it('answers the caller’s own presence with connectionStatus when no user is named', async () => {
    const idle = await getPresence(alice);
    expect(idle.status).toBe(200);
    expect(idle.body).toEqual({ presence: 'offline', connectionStatus: 'offline', success: true });
    await goStatus(t, alice, 'busy');
    expect((await getPresence(alice)).body).toEqual({ presence: 'busy', connectionStatus: 'online', success: true });
    expect((await getPresence(alice, { userId: alice.user.id })).body).toEqual({ presence: 'busy', connectionStatus: 'online', success: true });
  });

  it('adds the caller’s lastLogin once they logged in', async () => {
    const login = await request(t.app).post('/api/v1/login').send({ user: 'alice', password: TEST_PASSWORD });
    expect(login.status).toBe(200);
    const loggedInAt = t.clock.now().toISOString();
    t.clock.advanceSeconds(5);
    const res = await getPresence(alice);
    expect(res.body).toEqual({ presence: 'offline', connectionStatus: 'offline', lastLogin: loggedInAt, success: true });
    // Never shown for somebody else.
    expect((await getPresence(bob, { userId: alice.user.id })).body).toEqual({ presence: 'offline', success: true });
  });

  it.each<Record<string, string>>([{ userId: 'NoSuchUser1234567' }, { username: 'nobody' }])('answers 400 error-invalid-user for an unknown user (%j), as Rocket.Chat does', async (query) => {
    expectRocketChatError(await getPresence(alice, query), 400, INVALID_USER);
  });

  it.each<[string | (() => string), string]>([
    ['userId[$ne]=x', 'userId'],
    [() => `userId=${bob.user.id}&userId=${alice.user.id}`, 'userId'],
  ])('refuses %p, an operator or an array, with 400 naming %s', async (query, param) => {
    expectRocketChatError(await getPresence(alice, typeof query === 'string' ? query : query()), 400, notASingleString(param));
  });
});
