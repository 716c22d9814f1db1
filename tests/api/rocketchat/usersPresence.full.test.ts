import { appPerTest, currentApp, describeEachStore, type SeededUser } from '../../support/testApp';
import { expectRocketChatJson, getPresenceList, goStatus, idsOf, plainView, presenceList, sortedIds, type PresenceBody } from './rocketChatKit';

const byId = (body: PresenceBody) => [...body.users].sort((a, b) => a._id.localeCompare(b._id));

/** GET /api/v1/users.presence without `from`, or with a `from` at least DELTA_WINDOW old: the full list. */
describeEachStore('Rocket.Chat users.presence full list', (kind) => {
  const t = currentApp(appPerTest(kind));
  let caller: SeededUser;
  beforeEach(async () => {
    caller = await t.seedUser({ username: 'caller' });
  });

  it('answers an empty full list when nobody is present', async () => {
    await t.seedUser();
    const res = await getPresenceList(t, caller);
    expect(res.status).toBe(200);
    expectRocketChatJson(res);
    expect(res.body).toEqual({ users: [], full: true, success: true });
  });

  it('lists every user whose status is not offline, the caller included, with full:true', async () => {
    const online = await t.seedUser();
    const away = await t.seedUser();
    const busy = await t.seedUser();
    const invisible = await t.seedUser();
    await t.seedUser(); // never connected
    const expired = await t.seedUser();
    await goStatus(t, expired, 'online');
    t.clock.advanceSeconds(901);
    await goStatus(t, caller, 'online');
    await goStatus(t, online, 'online');
    await goStatus(t, away, 'away');
    await goStatus(t, busy, 'busy');
    await goStatus(t, invisible, 'online');
    await goStatus(t, invisible, 'offline');

    const body = await presenceList(t, caller);
    expect(body.full).toBe(true);
    expect(body.success).toBe(true);
    expect(Object.keys(body).sort()).toEqual(['full', 'success', 'users']);
    expect(byId(body)).toEqual(
      [plainView(caller, 'online'), plainView(online, 'online'), plainView(away, 'away'), plainView(busy, 'busy')].sort((a, b) => a._id.localeCompare(b._id)),
    );
  });

  it('gives each user exactly _id, username, name, status, utcOffset; statusText and avatarETag only when the user has one', async () => {
    const plain = await t.seedUser({ username: 'plain', name: 'Plain', utcOffset: 3 });
    const texted = await t.seedUser({ username: 'texted', name: 'Texted', utcOffset: -8 });
    const pictured = await t.seedUser({ username: 'pictured', name: 'Pictured', avatarETag: 'aVaTaR1' });
    await goStatus(t, plain, 'online');
    await goStatus(t, texted, 'away', 'gone fishing');
    await goStatus(t, pictured, 'busy');

    const users = byId(await presenceList(t, caller));
    const find = (who: SeededUser) => users.find((user) => user._id === who.user.id);
    expect(find(plain)).toStrictEqual({ _id: plain.user.id, username: 'plain', name: 'Plain', status: 'online', utcOffset: 3 });
    expect(find(texted)).toStrictEqual({ _id: texted.user.id, username: 'texted', name: 'Texted', status: 'away', utcOffset: -8, statusText: 'gone fishing' });
    expect(find(pictured)).toStrictEqual({ _id: pictured.user.id, username: 'pictured', name: 'Pictured', status: 'busy', utcOffset: 0, avatarETag: 'aVaTaR1' });
  });

  it('answers the full list for a `from` 10 minutes old or older (DELTA_WINDOW)', async () => {
    const other = await t.seedUser();
    await goStatus(t, other, 'away');
    await goStatus(t, caller, 'online');
    t.clock.advanceSeconds(30);
    const full = await presenceList(t, caller);
    for (const ageMs of [600_000, 660_000, 86_400_000]) {
      const from = new Date(t.clock.now().getTime() - ageMs).toISOString();
      const body = await presenceList(t, caller, { from });
      expect(body).toEqual(full);
      expect(body.full).toBe(true);
      expect(idsOf(body)).toEqual(sortedIds(caller, other));
    }
  });

  it('answers a delta for a `from` just younger than the window', async () => {
    const from = new Date(t.clock.now().getTime() - 599_999).toISOString();
    const body = await presenceList(t, caller, { from });
    expect(body).toEqual({ users: [], full: false, success: true });
  });

  describe('with DELTA_WINDOW_SECONDS=120', () => {
    const short = currentApp(appPerTest(kind, { deltaWindowSeconds: 120 }));

    it('takes the window from DELTA_WINDOW_SECONDS', async () => {
      const viewer = await short.seedUser();
      const other = await short.seedUser();
      await goStatus(short, other, 'online');
      short.clock.advanceSeconds(60);
      const at = (secondsAgo: number) => new Date(short.clock.now().getTime() - secondsAgo * 1000).toISOString();
      expect((await presenceList(short, viewer, { from: at(119) })).full).toBe(false);
      const old = await presenceList(short, viewer, { from: at(120) });
      expect(old.full).toBe(true);
      expect(idsOf(old)).toEqual(sortedIds(other));
    });
  });

  describe('ETag', () => {
    it('carries a strong ETag, and answers 304 with no body to a matching If-None-Match', async () => {
      const other = await t.seedUser();
      await goStatus(t, other, 'online');
      const first = await getPresenceList(t, caller);
      const etag = first.headers.etag as string;
      expect(etag).toMatch(/^"[^"]+"$/);

      const again = await getPresenceList(t, caller).set('If-None-Match', etag);
      expect(again.status).toBe(304);
      expect(again.text ?? '').toBe('');
      expect(again.headers.etag).toBe(etag);
      expect(again.headers['cache-control']).toBe('no-store');

      const weak = await getPresenceList(t, caller).set('If-None-Match', `"other", W/${etag}`);
      expect(weak.status).toBe(304);
    });

    it('answers 200 with the new list and a new ETag once something changed', async () => {
      const other = await t.seedUser();
      await goStatus(t, other, 'online');
      const etag = (await getPresenceList(t, caller)).headers.etag as string;
      await goStatus(t, other, 'away');
      const res = await getPresenceList(t, caller).set('If-None-Match', etag);
      expect(res.status).toBe(200);
      expectRocketChatJson(res);
      expect(res.headers.etag).not.toBe(etag);
      expect((res.body as PresenceBody).users).toEqual([plainView(other, 'away')]);
    });

    it('answers 200 to a stale or unrelated If-None-Match', async () => {
      const res = await getPresenceList(t, caller).set('If-None-Match', '"not-the-tag"');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ users: [], full: true, success: true });
    });

    it('gives a delta its own ETag and 304', async () => {
      const from = t.clock.now().toISOString();
      const first = await getPresenceList(t, caller, { from });
      expect(first.headers.etag).toMatch(/^"[^"]+"$/);
      const again = await getPresenceList(t, caller, { from }).set('If-None-Match', first.headers.etag as string);
      expect(again.status).toBe(304);
    });
  });
});
