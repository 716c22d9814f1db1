import request from 'supertest';
import { appPerTest, currentApp, describeEachStore, type SeededUser, type TestApp } from '../../support/testApp';
import { expectPnutError, expectPnutSuccess, presenceObject, unixSeconds } from './pnutHelpers';

type PresenceObject = Record<string, unknown>;

const DAY = 86400;

describeEachStore('pnut bad input: 400 naming the parameter, never a 500', (kind) => {
  const t = currentApp(appPerTest(kind));
  let alice: SeededUser;
  beforeEach(async () => {
    alice = await t.seedUser();
    await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'before' }).expect(200);
  });

  async function expectUnchanged(): Promise<void> {
    const res = await request(t.app).get('/v0/users/me/presence').set(alice.bearer);
    expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('before');
  }

  const put = () => request(t.app).put('/v0/users/me/presence').set(alice.bearer);

  describe('presence: at most 100 code points', () => {
    it('100 emoji count as 100 characters and are accepted (JSON, form, query)', async () => {
      const hundred = '😀'.repeat(100);
      expect((expectPnutSuccess(await put().send({ presence: hundred })) as PresenceObject).presence).toBe(hundred);
      expect((expectPnutSuccess(await put().type('form').send(`presence=${encodeURIComponent(hundred)}`)) as PresenceObject).presence).toBe(hundred);
      expect((expectPnutSuccess(await request(t.app).put(`/v0/users/me/presence?presence=${encodeURIComponent(hundred)}`).set(alice.bearer).send({})) as PresenceObject).presence).toBe(hundred);
    });

    it('100 characters mixing emoji and text are accepted', async () => {
      const value = 'ok '.repeat(20) + '🎉'.repeat(40);
      expect([...value]).toHaveLength(100);
      expect((expectPnutSuccess(await put().send({ presence: value })) as PresenceObject).presence).toBe(value);
    });

    it.each([
      ['101 ASCII characters', 'x'.repeat(101), 'The parameter "presence" must be at most 100 characters long'],
      ['101 emoji', '😀'.repeat(101), 'The parameter "presence" must be at most 100 characters long'],
      // Past the raw-length pre-check (200 UTF-16 units), the same documented limit is named.
      ['201 ASCII characters', 'y'.repeat(201), 'The parameter "presence" must be at most 100 characters long'],
      ['a 1000-character string', 'y'.repeat(1000), 'The parameter "presence" must be at most 100 characters long'],
    ])('%s: 400 in JSON', async (_name, value, message) => {
      expectPnutError(await put().send({ presence: value }), 400, message);
      await expectUnchanged();
    });

    it('101 characters: 400 in a form body', async () => {
      expectPnutError(await put().type('form').send(`presence=${'x'.repeat(101)}`), 400, 'The parameter "presence" must be at most 100 characters long');
      await expectUnchanged();
    });

    it('101 characters: 400 in the query', async () => {
      expectPnutError(await request(t.app).put(`/v0/users/me/presence?presence=${'x'.repeat(101)}`).set(alice.bearer).send({}), 400, 'The parameter "presence" must be at most 100 characters long');
      await expectUnchanged();
    });
  });

  describe('presence: a single string', () => {
    it.each([
      ['a number', 5],
      ['true', true],
      ['null', null],
      ['an array', ['online']],
      ['an operator object', { $ne: 'x' }],
      ['a nested object', { a: { b: 'c' } }],
    ])('%s in JSON: 400', async (_name, value) => {
      expectPnutError(await put().send({ presence: value }), 400, 'The parameter "presence" must be a single string');
      await expectUnchanged();
    });

    it.each([
      ['repeated', 'presence=a&presence=b'],
      ['an array', 'presence[]=a'],
      ['an operator', 'presence[$ne]=a'],
      ['a nested key', 'presence[a][b]=c'],
    ])('%s in the query: 400', async (_name, queryString) => {
      expectPnutError(await request(t.app).put(`/v0/users/me/presence?${queryString}`).set(alice.bearer).send({}), 400, 'The parameter "presence" must be a single string');
      await expectUnchanged();
    });

    it('repeated in a form body: 400', async () => {
      expectPnutError(await put().type('form').send('presence=a&presence=b'), 400, 'The parameter "presence" must be a single string');
      await expectUnchanged();
    });
  });

  describe('expiration', () => {
    const now = () => unixSeconds(t.clock.now());

    it.each([
      ['in the past', () => now() - 60, 'must be in the future'],
      ['now', () => now(), 'must be in the future'],
      ['more than 7 days ahead', () => now() + 7 * DAY + 1, 'must be at most 7 days ahead'],
      ['far in the future', () => 99999999999, 'must be at most 7 days ahead'],
      ['zero', () => 0, 'must be in the future'],
    ])('%s: 400 (JSON number, JSON string, form, query)', async (_name, at, rule) => {
      const value = at();
      const message = `The parameter "expiration" ${rule}`;
      expectPnutError(await put().send({ presence: 'x', expiration: value }), 400, message);
      expectPnutError(await put().send({ presence: 'x', expiration: String(value) }), 400, message);
      expectPnutError(await put().type('form').send(`presence=x&expiration=${value}`), 400, message);
      expectPnutError(await request(t.app).put(`/v0/users/me/presence?presence=x&expiration=${value}`).set(alice.bearer).send({}), 400, message);
      await expectUnchanged();
    });

    it.each([
      ['a fraction', (n: number) => `${n}.5`],
      ['a negative number', () => '-60'],
      ['exponent notation', (n: number) => `${n / 1e9}e9`],
      ['an ISO date', (n: number) => new Date(n * 1000).toISOString()],
      ['words', () => 'tomorrow'],
      ['an empty string', () => ''],
      ['leading spaces', (n: number) => `  ${n}`],
      ['hexadecimal', (n: number) => `0x${n.toString(16)}`],
      ['milliseconds', (n: number) => String(n * 1000)],
    ])('not an integer in Unix seconds (%s): 400 in JSON, form and query', async (_name, make) => {
      const value = make(now() + 600);
      expectPnutError(await put().send({ presence: 'x', expiration: value }), 400, 'The parameter "expiration" must be an integer Unix time in seconds');
      expectPnutError(await put().type('form').send(`presence=x&expiration=${encodeURIComponent(value)}`), 400, 'The parameter "expiration" must be an integer Unix time in seconds');
      expectPnutError(await request(t.app).put(`/v0/users/me/presence?presence=x&expiration=${encodeURIComponent(value)}`).set(alice.bearer).send({}), 400, 'The parameter "expiration" must be an integer Unix time in seconds');
      await expectUnchanged();
    });

    it.each([
      ['a fractional number', (n: number) => n + 0.5],
      ['a negative number', (n: number) => -n],
      ['true', () => true],
      ['null', () => null],
      ['an array', (n: number) => [n]],
      ['an operator object', (n: number) => ({ $gt: n })],
      ['a huge number', () => 1e300],
    ])('%s in JSON: 400', async (_name, make) => {
      expectPnutError(await put().send({ presence: 'x', expiration: make(now() + 600) }), 400, 'The parameter "expiration" must be an integer Unix time in seconds');
      await expectUnchanged();
    });

    it.each([
      ['repeated', (n: number) => `expiration=${n}&expiration=${n + 1}`],
      ['an array', (n: number) => `expiration[]=${n}`],
      ['an operator', (n: number) => `expiration[$gt]=${n}`],
    ])('%s in the query: 400', async (_name, make) => {
      expectPnutError(await request(t.app).put(`/v0/users/me/presence?presence=x&${make(now() + 600)}`).set(alice.bearer).send({}), 400, 'The parameter "expiration" must be an integer Unix time in seconds');
      await expectUnchanged();
    });
  });

  describe('expiration beside update_presence', () => {
    const now = () => unixSeconds(t.clock.now());

    it.each([
      ['garbage', () => 'garbage', 'must be an integer Unix time in seconds'],
      ['in the past', () => String(now() - 60), 'must be in the future'],
      ['more than 7 days ahead', () => String(now() + 7 * DAY + 1), 'must be at most 7 days ahead'],
    ])('%s: the same 400 as without update_presence (JSON, form, query)', async (_name, make, rule) => {
      const value = make();
      const message = `The parameter "expiration" ${rule}`;
      const withUpdate = () => request(t.app).put('/v0/users/me/presence?update_presence=1').set(alice.bearer);
      expectPnutError(await put().send({ presence: 'x', expiration: value }), 400, message);
      expectPnutError(await withUpdate().send({ presence: 'x', expiration: value }), 400, message);
      expectPnutError(await withUpdate().type('form').send(`expiration=${encodeURIComponent(value)}`), 400, message);
      expectPnutError(await request(t.app).put(`/v0/users/me/presence?update_presence=1&expiration=${encodeURIComponent(value)}`).set(alice.bearer).send({}), 400, message);
    });

    it('a good one beside update_presence is answered 200', async () => {
      const res = await request(t.app).put('/v0/users/me/presence?update_presence=1').set(alice.bearer).send({ expiration: now() + 600 });
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('online');
    });
  });

  describe('user_id', () => {
    const malformed: [string, string][] = [
      ['with a space', 'a%20b'],
      ['with a dollar sign', '%24where'],
      ['with a slash', 'a%2Fb'],
      ['non-ASCII', '%C3%BC'],
      ['65 characters', 'a'.repeat(65)],
      ['5000 characters', 'a'.repeat(5000)],
      ['with a NUL byte', 'abc%00'],
      ['with braces (JSON-ish)', '%7B%22%24ne%22%3A1%7D'],
    ];

    it.each(malformed)('%s: 400 on GET', async (_name, id) => {
      expectPnutError(await request(t.app).get(`/v0/users/${id}/presence`).set(alice.bearer), 400, 'The parameter "user_id" must be "me" or a user id');
    });

    it.each(malformed)('%s: 400 on PUT, nothing changed', async (_name, id) => {
      expectPnutError(await request(t.app).put(`/v0/users/${id}/presence`).set(alice.bearer).send({ presence: 'x' }), 400, 'The parameter "user_id" must be "me" or a user id');
      await expectUnchanged();
    });

    it('64 characters is well-formed: an unknown user, 404', async () => {
      expectPnutError(await request(t.app).get(`/v0/users/${'a'.repeat(64)}/presence`).set(alice.bearer), 404, 'User not found');
    });

    it('the error names the parameter as pnut documents it (user_id)', async () => {
      const res = await request(t.app).get(`/v0/users/${'a'.repeat(65)}/presence`).set(alice.bearer);
      expectPnutError(res, 400, 'The parameter "user_id" must be "me" or a user id');
    });

    it.each([
      ['a lone %', '%'],
      ['a truncated escape', '%E0%A4%A'],
      ['an invalid UTF-8 sequence', '%FF%FE'],
    ])('broken percent-encoding (%s): 400, not 500', async (_name, id) => {
      expectPnutError(await request(t.app).get(`/v0/users/${id}/presence`).set(alice.bearer), 400, 'A path parameter is not valid percent-encoding');
      expectPnutError(await request(t.app).put(`/v0/users/${id}/presence`).set(alice.bearer).send({ presence: 'x' }), 400, 'A path parameter is not valid percent-encoding');
      await expectUnchanged();
    });
  });

  describe('never a 500, always the envelope', () => {
    type OddRequest = (t: TestApp, user: SeededUser) => request.Test;

    const refusedRequests: [string, OddRequest, number, string][] = [
      ['a JSON body with an unsupported charset', (t, u) => request(t.app).put('/v0/users/me/presence').set(u.bearer).set('Content-Type', 'application/json; charset=latin1').send('{"presence":"x"}'), 415, 'The request body cannot be read'],
      ['a gzip body that is not gzip', (t, u) => request(t.app).put('/v0/users/me/presence').set(u.bearer).set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send('not gzip at all'), 400, 'The request cannot be read'],
      ['an unknown content encoding', (t, u) => request(t.app).put('/v0/users/me/presence').set(u.bearer).set('Content-Type', 'application/json').set('Content-Encoding', 'zz').send('{}'), 415, 'The request body cannot be read'],
      ['a JSON string body', (t, u) => request(t.app).put('/v0/users/me/presence').set(u.bearer).set('Content-Type', 'application/json').send('"online"'), 400, 'The request body is not valid JSON'],
      ['a JSON null body', (t, u) => request(t.app).put('/v0/users/me/presence').set(u.bearer).set('Content-Type', 'application/json').send('null'), 400, 'The request body is not valid JSON'],
      ['deeply nested JSON', (t, u) => request(t.app).put('/v0/users/me/presence').set(u.bearer).send(JSON.parse('{"presence":' + '['.repeat(500) + ']'.repeat(500) + '}')), 400, 'The parameter "presence" must be a single string'],
      ['a form body with too many parameters', (t, u) => request(t.app).put('/v0/users/me/presence').set(u.bearer).type('form').send(Array.from({ length: 2000 }, (_, i) => `k${i}=v`).join('&')), 413, 'The request body cannot be read'],
    ];

    it.each(refusedRequests)('%s: refused with %i in the envelope, nothing changed', async (_name, send, code, message) => {
      expectPnutError(await send(t, alice), code, message);
      await expectUnchanged();
    });

    const acceptedPuts: [string, OddRequest, string][] = [
      ['broken percent-encoding in the query', (t, u) => request(t.app).put('/v0/users/me/presence?presence=%E0%A4%A').set(u.bearer).send({}), '%E0%A4%A'],
      ['broken percent-encoding in a form body', (t, u) => request(t.app).put('/v0/users/me/presence').set(u.bearer).type('form').send('presence=%E0%A4%A'), '%E0%A4%A'],
      ['a JSON body with __proto__ (no presence: online)', (t, u) => request(t.app).put('/v0/users/me/presence').set(u.bearer).set('Content-Type', 'application/json').send('{"__proto__":{"presence":"x"},"constructor":{"prototype":{}}}'), 'online'],
    ];

    it.each(acceptedPuts)('%s: 200, the presence set to %j', async (_name, send, presence) => {
      const res = await send(t, alice);
      expectPnutSuccess(res);
      expect(res.body).toEqual({ meta: { code: 200 }, data: presenceObject(alice, presence, t.clock.now()) });
    });

    const acceptedLists: [string, OddRequest, Record<string, unknown>][] = [
      ['a query with many nested brackets', (t, u) => request(t.app).get(`/v0/presence?update_presence${'[a]'.repeat(50)}=x&presence${'[b]'.repeat(50)}=y`).set(u.bearer), { code: 200, updated_presence: false }],
      ['a query with thousands of parameters', (t, u) => request(t.app).get(`/v0/presence?${Array.from({ length: 1500 }, (_, i) => `p${i}=v`).join('&')}`).set(u.bearer), { code: 200 }],
    ];

    it.each(acceptedLists)('%s: 200 with the list, meta %j', async (_name, send, meta) => {
      const res = await send(t, alice);
      expectPnutSuccess(res);
      expect(res.body).toEqual({ meta, data: [presenceObject(alice, 'before', t.clock.now())] });
    });

    it('a bad update_presence never fails the call, whatever its shape', async () => {
      const calls: [string, boolean, string][] = [
        ['update_presence[$ne]=x', false, 'before'],
        ['update_presence[]=a&update_presence[]=b', false, 'before'],
        [`update_presence=${'z'.repeat(5000)}`, false, 'before'],
        // Not a bad value: the query's broken escape is taken as it stands, as for `presence`.
        ['update_presence=%E0%A4%A', true, '%E0%A4%A'],
      ];
      for (const [queryString, updated, presence] of calls) {
        const res = await request(t.app).get(`/v0/users/me/presence?${queryString}`).set(alice.bearer);
        expectPnutSuccess(res);
        expect(res.body).toEqual({ meta: { code: 200, updated_presence: updated }, data: presenceObject(alice, presence, t.clock.now()) });
      }
    });
  });
});
