import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../../src/app';
import { TEST_CONFIG, appPerTest, currentApp, describeEachStore, type SeededUser } from '../../support/testApp';
import { getPresenceList, goStatus, idsOf, plainView, presenceList, sortedIds, statusById } from './rocketChatKit';

/** GET /api/v1/users.presence?from=<within the window>: the users whose presence changed after `from`. */
describeEachStore('Rocket.Chat users.presence delta', (kind) => {
  const t = currentApp(appPerTest(kind));
  let caller: SeededUser;
  beforeEach(async () => {
    caller = await t.seedUser({ username: 'caller' });
  });

  const secondsAgo = (seconds: number) => new Date(t.clock.now().getTime() - seconds * 1000).toISOString();

  it('lists exactly the users who changed after `from`, with full:false', async () => {
    const steady = await t.seedUser();
    const changed = await t.seedUser();
    const alsoChanged = await t.seedUser();
    await t.seedUser(); // never connected
    await goStatus(t, steady, 'online');
    await goStatus(t, changed, 'online');
    t.clock.advanceSeconds(120);
    const from = t.clock.now().toISOString();
    t.clock.advanceSeconds(30);
    await goStatus(t, changed, 'away');
    await goStatus(t, alsoChanged, 'busy');
    t.clock.advanceSeconds(30);

    const body = await presenceList(t, caller, { from });
    expect(body.full).toBe(false);
    expect(body.success).toBe(true);
    expect(idsOf(body)).toEqual(sortedIds(changed, alsoChanged));
    expect(statusById(body)).toEqual({ [changed.user.id]: 'away', [alsoChanged.user.id]: 'busy' });
  });

  it('gives delta users the same exact keys as the full list', async () => {
    const texted = await t.seedUser({ username: 'texted', name: 'Texted', utcOffset: 5.5 });
    const pictured = await t.seedUser({ username: 'pictured', name: 'Pictured', avatarETag: 'etag-1' });
    const plain = await t.seedUser({ username: 'plain', name: 'Plain' });
    const from = t.clock.now().toISOString();
    t.clock.advanceSeconds(1);
    await goStatus(t, texted, 'away', 'brb');
    await goStatus(t, pictured, 'online');
    await goStatus(t, plain, 'busy');
    const users = (await presenceList(t, caller, { from })).users.sort((a, b) => a.username.localeCompare(b.username));
    expect(users).toStrictEqual([
      { _id: pictured.user.id, username: 'pictured', name: 'Pictured', status: 'online', utcOffset: 0, avatarETag: 'etag-1' },
      { _id: plain.user.id, username: 'plain', name: 'Plain', status: 'busy', utcOffset: 0 },
      { _id: texted.user.id, username: 'texted', name: 'Texted', status: 'away', utcOffset: 5.5, statusText: 'brb' },
    ]);
  });

  it('includes a user who went invisible, as offline, so the client can grey them out', async () => {
    const leaver = await t.seedUser();
    await goStatus(t, leaver, 'online');
    t.clock.advanceSeconds(60);
    const from = t.clock.now().toISOString();
    t.clock.advanceSeconds(5);
    await goStatus(t, leaver, 'offline');
    t.clock.advanceSeconds(5);
    const body = await presenceList(t, caller, { from });
    expect(body).toEqual({ users: [plainView(leaver, 'offline')], full: false, success: true });
  });

  it('includes a user whose presence ran out (timed out to offline) after `from`', async () => {
    const sleeper = await t.seedUser();
    await goStatus(t, sleeper, 'online');
    t.clock.advanceSeconds(890);
    const from = t.clock.now().toISOString();
    t.clock.advanceSeconds(20); // the presence (900 s) ends 10 s after `from`
    const body = await presenceList(t, caller, { from });
    expect(body).toEqual({ users: [plainView(sleeper, 'offline')], full: false, success: true });
  });

  it('excludes the caller, even when the caller is the only one who changed', async () => {
    const from = t.clock.now().toISOString();
    t.clock.advanceSeconds(1);
    await goStatus(t, caller, 'online');
    await goStatus(t, caller, 'away');
    expect(await presenceList(t, caller, { from })).toEqual({ users: [], full: false, success: true });

    const other = await t.seedUser();
    await goStatus(t, other, 'online');
    expect(idsOf(await presenceList(t, caller, { from }))).toEqual(sortedIds(other));
    // The same change is of course shown to somebody else.
    expect(idsOf(await presenceList(t, other, { from }))).toEqual(sortedIds(caller));
  });

  it('lists a user who changed several times once, with the latest state', async () => {
    const fidget = await t.seedUser();
    const from = t.clock.now().toISOString();
    for (const status of ['online', 'away', 'busy', 'online', 'away']) {
      t.clock.advance(250);
      await goStatus(t, fidget, status, `now ${status}`);
    }
    const body = await presenceList(t, caller, { from });
    expect(body.users).toEqual([{ ...plainView(fidget, 'away'), statusText: 'now away' }]);
  });

  it('leaves out users whose last change is well before `from`', async () => {
    const early = await t.seedUser();
    await goStatus(t, early, 'online');
    t.clock.advanceSeconds(300);
    expect(await presenceList(t, caller, { from: secondsAgo(60) })).toEqual({ users: [], full: false, success: true });
  });

  it('answers a status-text change as a change', async () => {
    const talker = await t.seedUser();
    await goStatus(t, talker, 'online');
    t.clock.advanceSeconds(60);
    const from = t.clock.now().toISOString();
    t.clock.advanceSeconds(1);
    await goStatus(t, talker, 'online', 'new text');
    const body = await presenceList(t, caller, { from });
    expect(body.users).toEqual([{ ...plainView(talker, 'online'), statusText: 'new text' }]);
  });

  it('sees a change written through another instance on the same store', async () => {
    const second = createApp({ store: t.store, clock: t.clock, config: TEST_CONFIG, logger: pino({ level: 'silent' }) });
    const roamer = await t.seedUser();
    const from = t.clock.now().toISOString();
    t.clock.advance(10);
    expect((await request(second).post('/api/v1/users.setStatus').set(roamer.headers).send({ status: 'busy' })).status).toBe(200);
    const body = await presenceList(t, caller, { from });
    expect(body.users).toEqual([plainView(roamer, 'busy')]);
  });

  describe('`from` formats (ISO 8601; timezone, seconds and milliseconds optional)', () => {
    // A change at 12:05:30Z, read at 12:06:30Z. A `from` of 12:05Z must include it; one of 12:06Z must not
    // (it is more than the overlap after the change). A timezone misread by an hour flips one of the two.
    let mover: SeededUser;
    beforeEach(async () => {
      mover = await t.seedUser();
      t.clock.set('2026-01-15T12:05:30.000Z');
      await goStatus(t, mover, 'away');
      t.clock.set('2026-01-15T12:06:30.000Z');
    });

    it.each([
      '2026-01-15T12:05:00.000Z',
      '2026-01-15T12:05:00Z',
      '2026-01-15T12:05Z',
      '2026-01-15T12:05:00',
      '2026-01-15T12:05',
      '2026-01-15T12:05:00.000',
      '2026-01-15T12:05:00+00:00',
      '2026-01-15T13:05:00+01:00',
      '2026-01-15T13:05:00.000+01:00',
      '2026-01-15T13:05+01:00',
      '2026-01-15T07:05:00-05:00',
      '2026-01-15T17:35:00+05:30',
    ])('reads %s as 12:05Z', async (from) => {
      const body = await presenceList(t, caller, { from });
      expect(body).toEqual({ users: [plainView(mover, 'away')], full: false, success: true });
    });

    it.each([
      '2026-01-15T12:06:00.000Z',
      '2026-01-15T12:06Z',
      '2026-01-15T12:06',
      '2026-01-15T13:06:00+01:00',
      '2026-01-15T07:06:00.000-05:00',
      '2026-01-15T07:06-05:00',
    ])('reads %s as 12:06Z', async (from) => {
      const body = await presenceList(t, caller, { from });
      expect(body).toEqual({ users: [], full: false, success: true });
    });

    it('honours milliseconds at the window edge', async () => {
      t.clock.set('2026-01-15T12:16:30.000Z');
      expect((await presenceList(t, caller, { from: '2026-01-15T12:06:30.000Z' })).full).toBe(true);
      expect((await presenceList(t, caller, { from: '2026-01-15T12:06:30.001Z' })).full).toBe(false);
      expect((await presenceList(t, caller, { from: '2026-01-15T13:06:30.001+01:00' })).full).toBe(false);
      expect((await presenceList(t, caller, { from: '2026-01-15T12:06:30Z' })).full).toBe(true);
    });

    it('accepts what JavaScript’s Date#toISOString writes, as Rocket.Chat’s web client sends', async () => {
      const res = await getPresenceList(t, caller, { from: new Date('2026-01-15T12:05:00Z').toISOString() });
      expect(res.status).toBe(200);
      expect(res.body.users).toEqual([plainView(mover, 'away')]);
    });
  });
});
