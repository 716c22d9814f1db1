import request from 'supertest';
import { appPerTest, buildTestApp, currentApp, describeEachStore, seedUsers, type SeededUser, type TestApp } from '../support/testApp';
import { storeKinds } from '../support/stores';
import { goStatus } from '../api/rocketchat/rocketChatKit';
import { listen, openStream, type SseClient } from '../api/stream/sseClient';

/**
 * The hot lane (src/http/hotLane.ts) answers users.presence, its stream, users.setStatus and pnut's presence of one user before Express's router,
 * with plain checks in place of the validation chains; a GET carrying a body takes the generic chain instead. Both
 * must give a client the same answer: status, every header but the request's own id and date, and body.
 */
describeEachStore('hot lane', (kind) => {
  const t = currentApp(appPerTest(kind));
  let caller: SeededUser, other: SeededUser;
  beforeEach(async () => {
    [caller, other] = await seedUsers(t, {}, { statusText: 'busy with things' });
    await goStatus(t, other, 'away');
  });

  const comparable = (res: request.Response) => {
    const { date: _date, 'x-request-id': _id, ...headers } = res.headers;
    return { status: res.status, headers, text: res.text };
  };

  /** The answer without a body (hot lane) and with an empty JSON object as body (generic chain). */
  async function bothLanes(t: TestApp, path: string, headers: Record<string, string | string[]>) {
    const hot = await request(t.app).get(path).set(headers);
    const generic = await request(t.app).get(path).set(headers).set('Content-Type', 'application/json').send('{}');
    return { hot: comparable(hot), generic: comparable(generic) };
  }

  const presence = '/api/v1/users.presence';
  const manyIds = () => `${presence}?${Array.from({ length: 501 }, (_, index) => `ids[]=user${index}`).join('&')}`;
  const cases: [string, number, () => string, (user: SeededUser) => Record<string, string | string[]>][] = [
    ['the full list', 200, () => presence, (user) => user.headers],
    ['a delta', 200, () => `${presence}?from=${new Date(t.clock.now().getTime() - 5_000).toISOString()}`, (user) => user.headers],
    ['ids', 200, () => `${presence}?ids[]=${other.user.id}&ids[]=${caller.user.id}`, (user) => user.headers],
    ['ids as one list', 200, () => `${presence}?ids=${other.user.id},${caller.user.id}`, (user) => user.headers],
    ['no ids (`ids=`)', 200, () => `${presence}?ids=`, (user) => user.headers],
    ['a delta of ids', 200, () => `${presence}?from=${new Date(t.clock.now().getTime() - 5_000).toISOString()}&ids[]=${other.user.id}`, (user) => user.headers],
    ['update_presence', 200, () => `${presence}?update_presence=online`, (user) => user.headers],
    ['update_presence with a value pnut refuses', 200, () => `${presence}?update_presence=${'x'.repeat(101)}`, (user) => user.headers],
    ['a refused from', 400, () => `${presence}?from=yesterday`, (user) => user.headers],
    ['an empty from', 400, () => `${presence}?from=`, (user) => user.headers],
    ['a repeated from', 400, () => `${presence}?from=2019-05-22T12:11:45.392Z&from=2019-05-22T12:11:45.392Z`, (user) => user.headers],
    ['a from with an operator', 400, () => `${presence}?from[$gt]=2019-05-22T12:11:45.392Z`, (user) => user.headers],
    ['a from too long', 400, () => `${presence}?from=2019-05-22T12:11:45.392Z${'0'.repeat(60)}`, (user) => user.headers],
    ['a from that is not valid percent-encoding', 400, () => `${presence}?from=%ED%A0%80`, (user) => user.headers],
    ['ids that are not ids', 400, () => `${presence}?ids[]=${other.user.id}&ids[]=a%20b`, (user) => user.headers],
    ['ids as an object', 400, () => `${presence}?ids[x]=${other.user.id}`, (user) => user.headers],
    ['too many ids', 400, manyIds, (user) => user.headers],
    ['both refused: from is named', 400, () => `${presence}?ids[]=a%20b&from=yesterday`, (user) => user.headers],
    ['no token', 401, () => presence, () => ({})],
    ['a token nobody has', 401, () => presence, (user) => ({ ...user.headers, 'X-Auth-Token': 'not-a-token-anyone-has' })],
    ['a refused from without a token', 401, () => `${presence}?from=yesterday`, () => ({})],
    ['pnut: one user', 200, () => `/v0/users/${other.user.id}/presence`, (user) => user.bearer],
    ['pnut: me, with update_presence', 200, () => '/v0/users/me/presence?update_presence=online', (user) => user.bearer],
    ['pnut: indented', 200, () => `/v0/users/${other.user.id}/presence`, (user) => ({ ...user.bearer, 'X-Pretty-Json': '1' })],
    ['pnut: an unknown user', 404, () => '/v0/users/nobody/presence', (user) => user.bearer],
    ['pnut: no user id', 400, () => '/v0/users/a~b/presence', (user) => user.bearer],
    ['pnut: a user id too long', 400, () => `/v0/users/${'a'.repeat(65)}/presence`, (user) => user.bearer],
    ['pnut: no token', 401, () => `/v0/users/${other.user.id}/presence`, () => ({})],
    ['pnut: Authorization sent twice', 401, () => `/v0/users/${other.user.id}/presence`, (user) => ({ Authorization: [user.bearer.Authorization, user.bearer.Authorization] })],
    ['Authorization sent twice beside a valid X-Auth-Token', 401, () => presence, (user) => ({ ...user.headers, Authorization: ['Bearer a', 'Bearer b'] })],
    ['stream: ids that are not ids', 400, () => `${presence}.stream?ids=${other.user.id},a%20b`, (user) => user.headers],
    ['stream: a lastEventId as a list', 400, () => `${presence}.stream?lastEventId=1&lastEventId=2`, (user) => user.headers],
    ['stream: no token', 401, () => `${presence}.stream?ids=${other.user.id}`, () => ({})],
    ['stream: a ticket nobody was given', 401, () => `${presence}.stream?ticket=not-a-ticket`, () => ({})],
  ];

  it.each(cases)('%s: the same status, headers and body on both lanes', async (_label, status, path, headers) => {
    const { hot, generic } = await bothLanes(t, path(), headers(caller));
    expect(hot.status).toBe(status);
    expect(hot).toEqual(generic);
  });

  const setStatusCases: [string, number, string, string | object, (user: SeededUser) => Record<string, string>][] = [
    ['a status and a message', 200, 'application/json', { status: 'away', message: 'lunch' }, (user) => user.headers],
    ['a form', 200, 'application/x-www-form-urlencoded', 'status=busy&message=call', (user) => user.headers],
    ['a timed status', 200, 'application/json', { status: 'busy', expiresAt: '2030-01-01T00:00:00Z' }, (user) => user.headers],
    ['an unknown status', 400, 'application/json', { status: 'sleeping' }, (user) => user.headers],
    ['a field that is not a string', 400, 'application/json', { status: 'away', username: { $ne: '' } }, (user) => user.headers],
    ['neither status nor message', 400, 'application/json', {}, (user) => user.headers],
    ['a body that is a list', 400, 'application/json', '["away"]', (user) => user.headers],
    ['JSON that does not parse', 400, 'application/json', '{"status":', (user) => user.headers],
    ['a body of white space', 400, 'application/json', '  ', (user) => user.headers],
    ['a body of a type neither parser reads', 415, 'text/plain', 'status=away', (user) => user.headers],
    ['a body past the limit', 413, 'application/json', { status: 'away', message: 'm'.repeat(20_000) }, (user) => user.headers],
    ['another user, not an admin', 403, 'application/json', { status: 'away', username: 'someone-else' }, (user) => user.headers],
    ['no token', 401, 'application/json', { status: 'away' }, () => ({})],
  ];

  it.each(setStatusCases)('users.setStatus, %s: the same status, headers and body on both lanes', async (_label, status, type, body, headers) => {
    // The router takes a trailing slash for the same route; the hot lane only the path so spelled.
    const post = (path: string) => request(t.app).post(path).set(headers(caller)).set('Content-Type', type).send(body);
    const hot = comparable(await post('/api/v1/users.setStatus'));
    expect(hot.status).toBe(status);
    expect(comparable(await post('/api/v1/users.setStatus/'))).toEqual(hot);
  });

  it('opens a stream alike on both lanes: status, headers, the snapshot', async () => {
    const server = await listen(t.app);
    const opened: SseClient[] = [];
    try {
      const path = `${presence}.stream?ids=${other.user.id},${caller.user.id}`;
      const hot = await openStream(server.port, path, caller.headers);
      opened.push(hot);
      const generic = await openStream(server.port, path, { ...caller.headers, 'Content-Type': 'application/json', 'Content-Length': '2' }, '{}');
      opened.push(generic);
      const seen = async (stream: SseClient) => {
        const { date: _date, 'x-request-id': _id, ...headers } = stream.headers;
        return { status: stream.status, headers, snapshot: (await stream.event(0)).data };
      };
      const answer = await seen(hot);
      expect(answer.status).toBe(200);
      expect(answer.snapshot.users.map((user) => user._id)).toEqual(expect.arrayContaining([other.user.id, caller.user.id]));
      expect(await seen(generic)).toEqual(answer);
    } finally {
      for (const stream of opened) stream.close();
      await server.close();
    }
  });

  it('a path spelled otherwise than the route (case, trailing slash) is answered alike by the generic chain', async () => {
    const hot = comparable(await request(t.app).get(presence).set(caller.headers));
    for (const path of ['/API/v1/users.presence', '/api/v1/users.presence/']) {
      expect(comparable(await request(t.app).get(path).set(caller.headers))).toEqual(hot);
    }
  });

  it('a full list revalidated by its ETag is a 304 on both lanes', async () => {
    const first = await request(t.app).get('/api/v1/users.presence').set(caller.headers);
    expect(first.status).toBe(200);
    const { hot, generic } = await bothLanes(t, '/api/v1/users.presence', { ...caller.headers, 'If-None-Match': first.headers.etag as string });
    expect(hot.status).toBe(304);
    expect(hot).toEqual(generic);
  });

  it('a GET whose body cannot be read is still refused: it leaves the hot lane', async () => {
    const res = await request(t.app).get('/api/v1/users.presence').set(caller.headers).set('Content-Type', 'application/json').send('{"from":');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ success: false, error: 'The request body is not valid JSON [invalid-params]', errorType: 'invalid-params' });
  });
});

describe('hot lane, where it runs', () => {
  it("answers the hot GETs before Express's router, and leaves it everything else", async () => {
    const t = await buildTestApp(storeKinds()[0]);
    try {
      const [caller] = await seedUsers(t, {});
      const router = (t.app as unknown as { router: { handle: (...args: unknown[]) => void } }).router;
      const routed = jest.spyOn(router, 'handle');
      await request(t.app).get('/api/v1/users.presence?ids[]=x').set(caller.headers).expect(200);
      await request(t.app).get('/v0/users/me/presence').set(caller.bearer).expect(200);
      await request(t.app).get('/api/v1/users.presence?from=yesterday').set(caller.headers).expect(400);
      await request(t.app).get('/api/v1/users.presence.stream?ids=a%20b').set(caller.headers).expect(400);
      await request(t.app).post('/api/v1/users.setStatus').set(caller.headers).send({ status: 'away' }).expect(200);
      const server = await listen(t.app);
      try {
        const stream = await openStream(server.port, `/api/v1/users.presence.stream?ids=${caller.user.id}`, caller.headers);
        expect((await stream.event(0)).data.full).toBe(true);
        stream.close();
      } finally {
        await server.close();
      }
      expect(routed).not.toHaveBeenCalled();
      await request(t.app).get('/api/v1/users.presence').set(caller.headers).set('Content-Type', 'application/json').send('{}').expect(200);
      await request(t.app).get('/api/v1/users.presence/').set(caller.headers).expect(200);
      await request(t.app).get('/v0/users/%6De/presence').set(caller.bearer).expect(200);
      await request(t.app).get('/api/v1/users.getStatus').set(caller.headers).expect(200);
      expect(routed).toHaveBeenCalledTimes(4);
    } finally {
      await t.close();
    }
  });
});
