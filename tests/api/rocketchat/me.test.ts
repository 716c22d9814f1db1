import request from 'supertest';
import { appPerTest, currentApp, describeEachStore } from '../../support/testApp';
import { expectRocketChatJson, goStatus } from './rocketChatKit';

/** GET /api/v1/me: the caller's own fields at the top level, never tokens or hashes. */
describeEachStore('Rocket.Chat me', (kind) => {
  const t = currentApp(appPerTest(kind));

  it('answers the caller’s own fields at the top level with success:true', async () => {
    const alice = await t.seedUser({ username: 'alice', name: 'Alice', utcOffset: -5, roles: ['user', 'bot'] });
    const res = await request(t.app).get('/api/v1/me').set(alice.headers);
    expect(res.status).toBe(200);
    expectRocketChatJson(res);
    expect(res.body).toMatchObject({
      _id: alice.user.id,
      username: 'alice',
      name: 'Alice',
      status: 'offline',
      utcOffset: -5,
      active: true,
      roles: ['user', 'bot'],
      success: true,
    });
  });

  it('shows which login services the caller has, never tokens or password hashes', async () => {
    const alice = await t.seedUser();
    const res = await request(t.app).get('/api/v1/me').set(alice.headers);
    expect(res.body.services).toEqual({ password: { exists: true } });
    expect(res.text).not.toContain(alice.token);
    expect(res.text).not.toContain(alice.user.credentials!.passwordHash as string);
    expect(res.text).not.toContain(alice.user.credentials!.loginTokens![0].hashedToken as string);
    expect(res.text).not.toMatch(/hashedToken|bcrypt|loginTokens|"resume"/);
  });

  it('shows the status and status text the caller set', async () => {
    const alice = await t.seedUser();
    await goStatus(t, alice, 'busy', 'in a meeting');
    const res = await request(t.app).get('/api/v1/me').set(alice.headers);
    expect(res.body).toMatchObject({ status: 'busy', statusText: 'in a meeting' });
  });

  it('shows offline once the caller went invisible', async () => {
    const alice = await t.seedUser();
    await goStatus(t, alice, 'online');
    await goStatus(t, alice, 'offline');
    const res = await request(t.app).get('/api/v1/me').set(alice.headers);
    expect(res.body.status).toBe('offline');
  });
});
