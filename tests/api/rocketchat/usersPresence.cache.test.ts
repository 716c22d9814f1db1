import request from 'supertest';
import { appPerTest, currentApp, describeEachStore, type SeededUser } from '../../support/testApp';
import { goStatus } from './rocketChatKit';

/** The full list is served from a cached snapshot; these are the ways it must still never be wrong or unstable. */
describeEachStore('Rocket.Chat users.presence cached full list', (kind) => {
  // A long cache age, so only the service's own invalidation can refresh the list.
  const t = currentApp(appPerTest(kind, { cacheMaxAgeMs: 5000 }));
  let caller: SeededUser;
  beforeEach(async () => {
    caller = await t.seedUser({ username: 'caller' });
  });

  const fullList = () => request(t.app).get('/api/v1/users.presence').set(caller.headers).expect(200);

  it('keeps the same bytes and ETag when a user leaves and comes back unchanged', async () => {
    const a = await t.seedUser({ username: 'a' });
    const b = await t.seedUser({ username: 'b' });
    await goStatus(t, a, 'online');
    await goStatus(t, b, 'online');
    const first = await fullList();
    await goStatus(t, a, 'offline');
    await goStatus(t, a, 'online');
    const again = await fullList();
    expect(again.text).toBe(first.text);
    expect(again.headers.etag).toBe(first.headers.etag);
  });

  it('drops a user at once when a pnut expiration moves the presence to an earlier time that then passes', async () => {
    const a = await t.seedUser({ username: 'a' });
    await request(t.app).put('/v0/users/me/presence?presence=online').set(a.bearer).expect(200);
    expect((await fullList()).body.users).toHaveLength(1);
    // The same presence, only ending sooner: nothing a client can see changes now.
    const soon = Math.floor(t.clock.now().getTime() / 1000) + 2;
    await request(t.app).put(`/v0/users/me/presence?presence=online&expiration=${soon}`).set(a.bearer).expect(200);
    expect((await fullList()).body.users).toHaveLength(1);
    t.clock.advanceSeconds(3);
    expect((await fullList()).body.users).toEqual([]);
  });
});
