import request from 'supertest';
import { ONE_DECLARATION } from '../rocketchat/rocketChatKit';
import { appPerTest, currentApp, describeEachStore, seedUsers, type SeededUser } from '../../support/testApp';
import { expectPnutSuccess } from './pnutHelpers';

type PresenceObject = Record<string, unknown>;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

describeEachStore('one presence model behind pnut and Rocket.Chat', (kind) => {
  const t = currentApp(appPerTest(kind));
  let alice: SeededUser, bob: SeededUser;
  beforeEach(async () => {
    [alice, bob] = await seedUsers(t, {}, {});
  });

  async function pnutPut(presence: string): Promise<void> {
    await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence }).expect(200);
  }

  async function pnutRead(): Promise<string> {
    const res = await request(t.app).get(`/v0/users/${alice.user.id}/presence`).set(bob.bearer);
    return (expectPnutSuccess(res) as PresenceObject).presence as string;
  }

  async function pnutList(): Promise<PresenceObject[]> {
    return expectPnutSuccess(await request(t.app).get('/v0/presence').set(bob.bearer)) as PresenceObject[];
  }

  async function rcSetStatus(body: { status?: string; message?: string }): Promise<void> {
    await request(t.app).post('/api/v1/users.setStatus').set(alice.headers).send(body).expect(200, { success: true });
  }

  /** Alice's own getStatus, which (as in Rocket.Chat) carries connectionStatus. */
  async function rcGetStatus(): Promise<Record<string, unknown>> {
    return (await request(t.app).get(`/api/v1/users.getStatus?userId=${alice.user.id}`).set(alice.headers).expect(200)).body;
  }

  async function rcGetPresence(): Promise<string> {
    return (await request(t.app).get(`/api/v1/users.getPresence?userId=${alice.user.id}`).set(bob.headers).expect(200)).body.presence;
  }

  async function rcListed(): Promise<Record<string, unknown> | undefined> {
    const res = await request(t.app).get('/api/v1/users.presence').set(bob.headers).expect(200);
    return (res.body.users as Record<string, unknown>[]).find((user) => user._id === alice.user.id);
  }

  describe('pnut → Rocket.Chat', () => {
    it.each(['online', 'away', 'busy'])('pnut %s is that Rocket.Chat status, with no status text', async (word) => {
      await pnutPut(word);
      expect(await rcGetStatus()).toEqual({ _id: alice.user.id, status: word, connectionStatus: 'online', connections: ONE_DECLARATION, success: true });
      expect(await rcGetPresence()).toBe(word);
      expect(await rcListed()).toEqual({ _id: alice.user.id, username: alice.user.username, name: alice.user.name, status: word, utcOffset: 0 });
    });

    it.each(['offline', '0'])('pnut %s is Rocket.Chat offline, and out of the list', async (word) => {
      await pnutPut('online');
      await pnutPut(word);
      expect((await rcGetStatus()).status).toBe('offline');
      expect(await rcGetPresence()).toBe('offline');
      expect(await rcListed()).toBeUndefined();
    });

    it('pnut 1 (or no value) is Rocket.Chat online', async () => {
      await pnutPut('1');
      expect((await rcGetStatus()).status).toBe('online');
      await pnutPut('0');
      await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({}).expect(200);
      expect((await rcGetStatus()).status).toBe('online');
    });

    it('any other string is online with that string as statusText', async () => {
      await pnutPut('reviewing pull requests');
      expect(await rcGetStatus()).toEqual({
        _id: alice.user.id,
        status: 'online',
        message: 'reviewing pull requests',
        connectionStatus: 'online',
        connections: ONE_DECLARATION,
        success: true,
      });
      expect(await rcListed()).toEqual({
        _id: alice.user.id,
        username: alice.user.username,
        name: alice.user.name,
        status: 'online',
        statusText: 'reviewing pull requests',
        utcOffset: 0,
      });
    });

    it('a status word in another case is just a string', async () => {
      await pnutPut('Away');
      expect(await rcGetStatus()).toEqual(expect.objectContaining({ status: 'online', message: 'Away' }));
      expect(await pnutRead()).toBe('Away');
    });

    it('a status word after a free string clears the status text', async () => {
      await pnutPut('deep in thought');
      await pnutPut('busy');
      const status = await rcGetStatus();
      expect(status.status).toBe('busy');
      expect(status).not.toHaveProperty('message');
      expect(await rcListed()).not.toHaveProperty('statusText');
    });
  });

  describe('pnut reads back exactly the string that was set', () => {
    it.each([
      ['plain text', 'keeping my stick on the ice'],
      ['surrounding spaces', '  spaced out  '],
      ['a mixed-case status word', 'BUSY'],
      ['non-Latin text and emoji', 'à la plage 🏖️ 海'],
      ['100 emoji (200 UTF-16 units, more than Rocket.Chat keeps)', '😀'.repeat(100)],
      ['exactly 100 characters', 'a'.repeat(100)],
      ['digits other than 0 and 1', '42'],
    ])('%s', async (_name, value) => {
      await pnutPut(value);
      expect(await pnutRead()).toBe(value);
      expect(await pnutList()).toEqual([expect.objectContaining({ id: alice.user.id, presence: value })]);
      const me = await request(t.app).get('/v0/users/me/presence').set(alice.bearer);
      expect((expectPnutSuccess(me) as PresenceObject).presence).toBe(value);
    });

    it('Rocket.Chat gets a status text that fits its own rules for a long string', async () => {
      const value = '😀'.repeat(100);
      await pnutPut(value);
      const status = await rcGetStatus();
      expect(status.status).toBe('online');
      expect(typeof status.message).toBe('string');
      expect((status.message as string).length).toBeLessThanOrEqual(120);
      expect(value.startsWith(status.message as string)).toBe(true);
    });
    it('Rocket.Chat\'s cut status text never splits a character', async () => {
      // 1 + 99 × 2 UTF-16 units: a cut at 120 units falls inside an emoji.
      const value = 'a' + '😀'.repeat(99);
      await pnutPut(value);
      const message = (await rcGetStatus()).message as string;
      expect(message).not.toMatch(LONE_SURROGATE);
      expect(value.startsWith(message)).toBe(true);
      const listed = await rcListed();
      expect(listed?.statusText).toBe(message);
      expect(await pnutRead()).toBe(value);
    });
  });

  describe('Rocket.Chat → pnut', () => {
    it.each(['online', 'away', 'busy'])('users.setStatus %s reads the same in pnut', async (status) => {
      await rcSetStatus({ status });
      expect(await pnutRead()).toBe(status);
      expect(await pnutList()).toEqual([expect.objectContaining({ id: alice.user.id, presence: status })]);
    });

    it('users.setStatus offline is pnut offline, and out of the pnut list', async () => {
      await pnutPut('here');
      await rcSetStatus({ status: 'offline' });
      expect(await pnutRead()).toBe('offline');
      expect(await pnutList()).toEqual([]);
    });

    it('online with a message reads in pnut as that message', async () => {
      await rcSetStatus({ status: 'online', message: 'on a call' });
      expect(await pnutRead()).toBe('on a call');
    });

    it('a later setStatus replaces a string set through pnut', async () => {
      await pnutPut('writing docs');
      await rcSetStatus({ status: 'away' });
      expect(await pnutRead()).toBe('away');
      expect((await rcGetStatus()).status).toBe('away');
    });

    it('a later pnut PUT replaces a status set through Rocket.Chat', async () => {
      await rcSetStatus({ status: 'busy', message: 'do not disturb' });
      await pnutPut('free now');
      expect(await rcGetStatus()).toEqual(expect.objectContaining({ status: 'online', message: 'free now' }));
      expect(await pnutRead()).toBe('free now');
    });

    it('setStatus sets last_seen_at for pnut', async () => {
      t.clock.advanceSeconds(5);
      await rcSetStatus({ status: 'away' });
      const res = await request(t.app).get(`/v0/users/${alice.user.id}/presence`).set(bob.bearer);
      expect((expectPnutSuccess(res) as PresenceObject).last_seen_at).toBe(t.clock.now().toISOString());
    });
  });

  it('both lists hold the same users', async () => {
    const carol = await t.seedUser();
    await pnutPut('pnut user');
    await request(t.app).post('/api/v1/users.setStatus').set(carol.headers).send({ status: 'away' }).expect(200);
    const pnutIds = (await pnutList()).map((user) => user.id).sort();
    const rc = await request(t.app).get('/api/v1/users.presence').set(bob.headers).expect(200);
    const rcIds = (rc.body.users as Record<string, unknown>[]).map((user) => user._id).sort();
    expect(pnutIds).toEqual([alice.user.id, carol.user.id].sort());
    expect(rcIds).toEqual(pnutIds);
  });
});
