import request from 'supertest';
import { TEST_PASSWORD, appPerTest, currentApp, describeEachStore, seedUsers, type SeededUser } from '../../support/testApp';
import { goStatus } from './rocketChatKit';

/**
 * Rocket.Chat's own REST expectations (apps/meteor/tests/end-to-end/api/users.ts, `[/users.getPresence]`,
 * `[/users.presence]` and `[/users.getStatus]`), restated against this service. Rocket.Chat's suite checks
 * `rocket.cat`, a bot that is online and has an avatar; it is seeded here the same way.
 */
describeEachStore('Rocket.Chat’s own users.ts expectations', (kind) => {
  const t = currentApp(appPerTest(kind));
  let credentials: SeededUser, rocketCat: SeededUser, targetUser: SeededUser;
  beforeEach(async () => {
    [credentials, rocketCat, targetUser] = await seedUsers(t, { username: 'rocketchat.internal.admin.test', roles: ['admin', 'user'] }, { id: 'rocket.cat', username: 'rocket.cat', name: 'Rocket.Cat', roles: ['bot'], avatarETag: 'cat-etag' }, {});
    await goStatus(t, rocketCat, 'online');
    // Rocket.Chat's server has been up a while when its suite reaches these tests.
    t.clock.advanceSeconds(60);
  });

  const api = (method: string) => `/api/v1/${method}`;

  describe('[/users.getPresence]', () => {
    it("should query a user's presence by userId", async () => {
      const res = await request(t.app).get(api('users.getPresence')).set(credentials.headers).query({ userId: targetUser.user.id });
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.status).toBe(200);
      expect(res.body).toHaveProperty('success', true);
      expect(res.body).toHaveProperty('presence', 'offline');
    });

    it('should return "offline" after a login type "resume" via REST', async () => {
      const login = await request(t.app).post(api('login')).send({ user: targetUser.user.username, password: TEST_PASSWORD });
      expect(login.status).toBe(200);
      const resume = await request(t.app).post(api('login')).send({ resume: login.body.data.authToken });
      expect(resume.headers['content-type']).toBe('application/json');
      expect(resume.status).toBe(200);

      const res = await request(t.app).get(api('users.getPresence')).set(credentials.headers).query({ userId: targetUser.user.id });
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.status).toBe(200);
      expect(res.body).toHaveProperty('success', true);
      expect(res.body).toHaveProperty('presence', 'offline');
    });
  });

  /** Rocket.Chat's checks of a full users.presence answer, rocket.cat in it with exactly these keys. */
  function expectFullListWithRocketCat(res: request.Response): void {
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.status).toBe(200);
    expect(res.body).toHaveProperty('success', true);
    expect(res.body).toHaveProperty('full', true);
    const user = (res.body.users as { username: string }[]).find((u) => u.username === 'rocket.cat');
    expect(user).toBeDefined();
    expect(Object.keys(user ?? {}).sort()).toEqual(['_id', 'avatarETag', 'name', 'status', 'username', 'utcOffset']);
  }

  describe('[/users.presence]', () => {
    describe('Not logged in:', () => {
      it('should return 401 unauthorized', async () => {
        const res = await request(t.app).get(api('users.presence'));
        expect(res.headers['content-type']).toBe('application/json');
        expect(res.status).toBe(401);
        expect(res.body).toHaveProperty('message');
      });
    });

    describe('Logged in:', () => {
      it('should return online users full list', async () => {
        expectFullListWithRocketCat(await request(t.app).get(api('users.presence')).set(credentials.headers));
      });

      it('should return no online users updated after now', async () => {
        const res = await request(t.app).get(api('users.presence')).query({ from: new Date(t.clock.now()).toISOString() }).set(credentials.headers);
        expect(res.headers['content-type']).toBe('application/json');
        expect(res.status).toBe(200);
        expect(res.body).toHaveProperty('success', true);
        expect(res.body).toHaveProperty('full', false);
        expect(res.body.users).toEqual([]);
      });

      it('should return full list of online users for more than 10 minutes in the past', async () => {
        const date = new Date(t.clock.now());
        date.setMinutes(date.getMinutes() - 11);
        expectFullListWithRocketCat(await request(t.app).get(api('users.presence')).query({ from: date.toISOString() }).set(credentials.headers));
      });
    });
  });

  describe('[/users.getStatus]', () => {
    it('should return my own status', async () => {
      const res = await request(t.app).get(api('users.getStatus')).set(credentials.headers);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.status).toBe(200);
      expect(res.body).toHaveProperty('success', true);
      expect(res.body).toHaveProperty('status');
      expect(res.body._id).toBe(credentials.user.id);
    });

    it('should return other user status', async () => {
      const res = await request(t.app).get(`${api('users.getStatus')}?userId=rocket.cat`).set(credentials.headers);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.status).toBe(200);
      expect(res.body).toHaveProperty('success', true);
      expect(res.body).toHaveProperty('status', 'online');
      expect(res.body._id).toBe('rocket.cat');
    });
  });
});
