import request from 'supertest';
import { appPerTest, currentApp, describeEachStore, seedUsers, type SeededUser } from '../../support/testApp';
import { goStatus, plainView, presenceList, statusById, withHeldWrites, type PresenceBody } from './rocketChatKit';

/**
 * Deltas never miss a change because of ordering. Each case is a client polling the way Rocket.Chat's web client
 * does: it asks, and then takes `from` for the next question from its own clock. A change it was already sent may
 * come again (harmless); a change it never sees is a bug.
 */
describeEachStore('Rocket.Chat users.presence delta exactness', (kind) => {
  const held = withHeldWrites(kind);
  const t = currentApp(appPerTest(held.kind));
  let caller: SeededUser, bob: SeededUser, carol: SeededUser;
  beforeEach(async () => {
    [caller, bob, carol] = await seedUsers(t, { username: 'caller' }, { username: 'bob' }, { username: 'carol' });
    // Everybody settled well before the tests start.
    await goStatus(t, caller, 'online');
    t.clock.advanceSeconds(60);
  });

  const nowIso = () => t.clock.now().toISOString();

  it('two changes in the same millisecond: the one after the read is still delivered', async () => {
    const start = nowIso();
    await goStatus(t, bob, 'away'); // stamped T
    const first = await presenceList(t, caller, { from: start }); // read at T
    expect(statusById(first)).toEqual({ [bob.user.id]: 'away' });
    const from = nowIso(); // the client's clock still says T
    await goStatus(t, carol, 'busy'); // stamped T as well, after the read
    t.clock.advance(1);

    const next = await presenceList(t, caller, { from });
    expect(statusById(next)[carol.user.id]).toBe('busy');
  });

  it('a change stamped before a read but committed after it is delivered by the next poll', async () => {
    const start = nowIso();
    const hold = held.holdNextWrite();
    const write = request(t.app).post('/api/v1/users.setStatus').set(bob.headers).send({ status: 'busy' }).then((res) => res);
    await hold.entered; // stamped at T, not yet in the store
    t.clock.advance(5);

    const during = await presenceList(t, caller, { from: start }); // read at T+5 ms: the change is not there yet
    expect(during.users.map((user) => user._id)).not.toContain(bob.user.id);
    t.clock.advance(20); // the answer reaches the client, which takes `from` from its clock
    const from = nowIso();

    hold.release();
    expect((await write).status).toBe(200); // committed now, stamped T: before `from`
    t.clock.advanceSeconds(2);

    const next = await presenceList(t, caller, { from });
    expect(next.users).toContainEqual(plainView(bob, 'busy'));
  });

  it('a change landing between the server’s read and the client taking `from` is delivered', async () => {
    const first = await presenceList(t, caller, { from: nowIso() }); // server reads at T
    expect(first.users).toEqual([]);
    t.clock.advance(3);
    await goStatus(t, bob, 'away'); // T+3 ms, after the read
    t.clock.advance(150); // the answer arrives; the client takes `from` = T+153 ms from its own clock
    const from = nowIso();
    t.clock.advanceSeconds(5); // the next poll

    const next = await presenceList(t, caller, { from });
    expect(next.users).toEqual([plainView(bob, 'away')]);
  });

  it('a client clock a few seconds ahead of the server still gets every change', async () => {
    const skewMs = 5000;
    const clientNow = () => new Date(t.clock.now().getTime() + skewMs).toISOString();

    const first = await presenceList(t, caller, { from: clientNow() }); // a `from` in the server's future
    expect(first).toEqual({ users: [], full: false, success: true });
    const from = clientNow(); // the client remembers its own time: server time + 5 s
    t.clock.advanceSeconds(1);
    await goStatus(t, bob, 'busy'); // server time T+1 s: before the client's `from`
    t.clock.advanceSeconds(1);
    await goStatus(t, carol, 'away'); // T+2 s
    t.clock.advanceSeconds(1);

    const next = await presenceList(t, caller, { from });
    expect(next.full).toBe(false);
    expect(statusById(next)).toEqual({ [bob.user.id]: 'busy', [carol.user.id]: 'away' });
  });

  it('a client clock ahead of the server never turns a delta into a full list or an error', async () => {
    const res = await presenceList(t, caller, { from: new Date(t.clock.now().getTime() + 3000).toISOString() });
    expect(res).toEqual({ users: [], full: false, success: true });
  });

  it('a change sent twice is harmless: the repeat carries the user’s current state, once', async () => {
    const start = nowIso();
    t.clock.advance(10);
    await goStatus(t, bob, 'away', 'coffee');
    t.clock.advance(10);
    const first = await presenceList(t, caller, { from: start });
    const from = nowIso();
    t.clock.advanceSeconds(2);
    const second = await presenceList(t, caller, { from }); // within the overlap: Bob may come again

    const bobView = { ...plainView(bob, 'away'), statusText: 'coffee' };
    expect(first.users).toEqual([bobView]);
    expect([[], [bobView]]).toContainEqual(second.users);

    // A client applying both answers in order ends up where the server is.
    const seen = new Map<string, PresenceBody['users'][number]>();
    for (const body of [first, second]) for (const user of body.users) seen.set(user._id, user);
    expect([...seen.values()]).toEqual([bobView]);
  });

  it('a repeat never rolls a user back to an older state', async () => {
    const start = nowIso();
    await goStatus(t, bob, 'away');
    const first = await presenceList(t, caller, { from: start });
    const from = nowIso();
    t.clock.advance(500);
    await goStatus(t, bob, 'busy');
    t.clock.advance(500);
    const second = await presenceList(t, caller, { from });
    expect(statusById(first)).toEqual({ [bob.user.id]: 'away' });
    expect(statusById(second)).toEqual({ [bob.user.id]: 'busy' });
  });

  it('a client polling every couple of seconds through a burst of changes ends with every user’s true state', async () => {
    const truth = new Map<string, string>();
    const seen = new Map<string, string>();
    const users = [bob, carol];
    const statuses = ['online', 'away', 'busy', 'offline'];
    let change = 0;
    const nextChange = async () => {
      const who = users[change % 2];
      const status = statuses[(change * 3) % 4];
      change += 1;
      await goStatus(t, who, status);
      truth.set(who.user.id, status);
    };
    let from = nowIso();
    for (let round = 0; round < 12; round += 1) {
      await nextChange();
      await nextChange(); // two in one millisecond, the second right at the read
      const answer = await presenceList(t, caller, { from });
      for (const user of answer.users) seen.set(user._id, user.status);
      t.clock.advance(round % 3 === 0 ? 0 : 700); // sometimes the client's clock has not moved at all
      from = nowIso();
      await nextChange(); // in the very millisecond the client took as `from`
      t.clock.advance(1300);
    }
    const last = await presenceList(t, caller, { from });
    for (const user of last.users) seen.set(user._id, user.status);
    expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(truth));
  });
});
