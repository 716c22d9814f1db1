import { appPerTest, currentApp, describeEachStore, usersPerTest, type SeededUser } from '../../support/testApp';
import { expectRocketChatError, expectRocketChatJson, goStatus, INVALID_USER, notASingleString, rcGet, ONE_DECLARATION, NO_CONNECTION } from './rocketChatKit';

/** GET /api/v1/users.getStatus: own status, or another user's by userId / username. */
describeEachStore('Rocket.Chat users.getStatus', (kind) => {
  const t = currentApp(appPerTest(kind));
  const { alice, bob } = usersPerTest(t, { alice: { username: 'alice' }, bob: { username: 'bob' } });
  const getStatus = (who: SeededUser, query: Record<string, string> | string = {}) => rcGet(t, 'users.getStatus', who, query);

  it('answers the caller’s own status with connectionStatus', async () => {
    await goStatus(t, alice, 'away');
    const res = await getStatus(alice);
    expect(res.status).toBe(200);
    expectRocketChatJson(res);
    expect(res.body).toEqual({ _id: alice.user.id, status: 'away', connectionStatus: 'online', connections: ONE_DECLARATION, success: true });
  });

  it('answers offline for a caller who never set a status', async () => {
    const res = await getStatus(alice);
    expect(res.body).toEqual({ _id: alice.user.id, status: 'offline', connectionStatus: 'offline', connections: NO_CONNECTION, success: true });
  });

  it('answers the caller’s own status when the caller names themself', async () => {
    await goStatus(t, alice, 'busy');
    const res = await getStatus(alice, { userId: alice.user.id });
    expect(res.body).toEqual({ _id: alice.user.id, status: 'busy', connectionStatus: 'online', connections: ONE_DECLARATION, success: true });
  });

  it('answers another user’s status by userId and by username: {_id, status}', async () => {
    await goStatus(t, bob, 'busy');
    for (const query of [{ userId: bob.user.id }, { username: 'bob' }] as Record<string, string>[]) {
      const res = await getStatus(alice, query);
      expect(res.status).toBe(200);
      expectRocketChatJson(res);
      // Rocket.Chat sends connectionStatus only for oneself.
      expect(res.body).toEqual({ _id: bob.user.id, status: 'busy', success: true });
    }
  });

  it('answers offline for another user who went invisible or whose presence ran out', async () => {
    await goStatus(t, bob, 'online');
    await goStatus(t, bob, 'offline');
    expect((await getStatus(alice, { userId: bob.user.id })).body.status).toBe('offline');
    await goStatus(t, bob, 'away');
    t.clock.advanceSeconds(901);
    expect((await getStatus(alice, { userId: bob.user.id })).body.status).toBe('offline');
  });

  it.each<Record<string, string>>([{ userId: 'NoSuchUser1234567' }, { username: 'nobody' }])('answers 400 error-invalid-user for an unknown user (%j), as Rocket.Chat does', async (query) => {
    expectRocketChatError(await getStatus(alice, query), 400, INVALID_USER);
  });

  it.each<[string | (() => string), string]>([
    ['userId[$ne]=x', 'userId'],
    [() => `userId=${bob.user.id}&userId=${alice.user.id}`, 'userId'],
    ['username[$regex]=.*', 'username'],
  ])('refuses %p, an operator or an array, with 400 naming %s', async (query, param) => {
    expectRocketChatError(await getStatus(alice, typeof query === 'string' ? query : query()), 400, notASingleString(param));
  });
});
