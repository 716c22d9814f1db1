import { appPerTest, currentApp, describeEachStore, seedUsers, type SeededUser } from '../../support/testApp';
import { expectCleanJsonError, getPresenceList, goStatus, ID_FORMS, idsOf, plainView, presenceList, sortedIds } from './rocketChatKit';

/** GET /api/v1/users.presence?ids=…: those users that are not offline, full:false; every form Rocket.Chat's clients send. */
describeEachStore('Rocket.Chat users.presence by ids', (kind) => {
  const t = currentApp(appPerTest(kind));
  let caller: SeededUser, online: SeededUser, away: SeededUser, invisible: SeededUser, idle: SeededUser, elsewhere: SeededUser;
  beforeEach(async () => {
    [caller, online, away, invisible, idle, elsewhere] = await seedUsers(t, { username: 'caller' }, {}, {}, {}, {}, {});
    await goStatus(t, online, 'online');
    await goStatus(t, away, 'away', 'lunch');
    await goStatus(t, invisible, 'offline');
    await goStatus(t, elsewhere, 'busy'); // present but not asked for
  });

  const asked = () => [online, away, invisible, idle].map((who) => who.user.id);

  it.each([
    ['ids[]=a&ids[]=b (Rocket.Chat web client)', (ids: string[]) => ids.map((id) => `ids[]=${id}`).join('&')],
    ['ids=a&ids=b', (ids: string[]) => ids.map((id) => `ids=${id}`).join('&')],
    ['ids=a,b (mobile client)', (ids: string[]) => `ids=${ids.join(',')}`],
    ['ids=a,b URL-encoded', (ids: string[]) => `ids=${encodeURIComponent(ids.join(','))}`],
  ])('answers the listed users that are not offline, full:false, for %s', async (_form, query) => {
    const body = await presenceList(t, caller, query(asked()));
    expect(body.full).toBe(false);
    expect(body.success).toBe(true);
    expect(idsOf(body)).toEqual(sortedIds(online, away));
    expect(body.users.find((user) => user._id === online.user.id)).toStrictEqual(plainView(online, 'online'));
    expect(body.users.find((user) => user._id === away.user.id)).toStrictEqual({ ...plainView(away, 'away'), statusText: 'lunch' });
  });

  it('ignores unknown ids and repeated ids', async () => {
    const body = await presenceList(t, caller, `ids=NoSuchUser1234567,${online.user.id},${online.user.id}`);
    expect(body).toEqual({ users: [plainView(online, 'online')], full: false, success: true });
  });

  it('answers a single id in each form', async () => {
    for (const query of [`ids[]=${away.user.id}`, `ids=${away.user.id}`]) {
      const body = await presenceList(t, caller, query);
      expect(idsOf(body)).toEqual(sortedIds(away));
    }
  });

  it('leaves out users whose presence ran out', async () => {
    t.clock.advanceSeconds(901);
    expect(await presenceList(t, caller, `ids=${online.user.id},${away.user.id}`)).toEqual({ users: [], full: false, success: true });
  });

  // 500 ids: the web client's `ids[]=` form is the one that must not break on a long list.
  const fiveHundred = () => [online.user.id, away.user.id, ...Array.from({ length: 498 }, (_, i) => `u${i}`)];

  it.each(ID_FORMS)('accepts 500 ids in the %s form', async (_form, query) => {
    const res = await getPresenceList(t, caller, query(fiveHundred()));
    expect(res.status).toBe(200);
    expect(idsOf(res.body)).toEqual(sortedIds(online, away));
  });

  it.each(ID_FORMS)('accepts 21 ids in the %s form (more than qs’s default array limit)', async (_form, query) => {
    const ids = [online.user.id, away.user.id, ...Array.from({ length: 19 }, (_, i) => `u${i}`)];
    const res = await getPresenceList(t, caller, query(ids));
    expect(res.status).toBe(200);
    expect(idsOf(res.body)).toEqual(sortedIds(online, away));
  });

  it.each(ID_FORMS)('refuses more than 500 ids in the %s form with 400 naming ids', async (_form, query) => {
    const res = await getPresenceList(t, caller, query([...fiveHundred(), 'u9999']));
    expect(res.status).toBe(400);
    expectCleanJsonError(res);
    expect(res.body).toEqual({ success: false, error: expect.stringContaining('"ids"'), errorType: 'invalid-params' });
  });

  it.each(['ids[$ne]=x', 'ids[a][b]=c', 'ids=has%20space', 'ids=%24where'])('refuses %s with 400 naming ids', async (query) => {
    const res = await getPresenceList(t, caller, query);
    expect(res.status).toBe(400);
    expectCleanJsonError(res);
    expect(res.body).toEqual({ success: false, error: expect.stringContaining('"ids"'), errorType: 'invalid-params' });
  });
});
