import { describeEachStore } from '../support/testApp';
import { send as sendHttp } from '../hardening/support/http';
import { check, Findings, freshCaller, refusal, type Api, type Ctx, withAbuseCtx } from './support/abuseKit';

/**
 * Paths: malformed `{user_id}` segments, methods no route serves, and routes that do not exist. Every answer is a
 * 4xx JSON in the shape of the API the path belongs to (`/v0` is pnut; everything else Rocket.Chat's).
 */

const NOT_FOUND = refusal('pnut', 404, 'User not found');
const NOT_YOURS = refusal('pnut', 403, 'You may only update your own presence');

/** `{user_id}` values, as they appear (already percent-encoded) in the path. */
const BAD_USER_IDS: [string, string][] = [
  ['operator text', '%24gt'],
  ['JSON operator', encodeURIComponent('{"$gt":""}')],
  ['65 characters', 'a'.repeat(65)],
  ['NUL', '%00'],
  ['"me" with NUL', 'me%00'],
  ['leading space', '%20me'],
  ['encoded slashes', '..%2F..%2Fetc%2Fpasswd'],
  ['encoded dots and slash', '%2e%2e%2f'],
  ['invalid percent-encoding', '%E0%A4%A'],
  ['lone percent sign', '%'],
  ['emoji', '%F0%9F%98%80'],
  ['CRLF injection', 'user%0d%0aSet-Cookie:%20x=1'],
  ['array-like', 'ids%5B%5D'],
  ['encoded lone surrogate', '%ED%A0%80'],
];

describeEachStore('malformed paths', (kind) => {
  let ctx: Ctx;
  withAbuseCtx(kind, (built) => (ctx = built));

  const bothAuth = () => ({ ...ctx.me.headers, Authorization: `Bearer ${ctx.me.token}` });
  /** The caller's PUT of a presence on `/v0/users/{id}/presence`, `id` as it stands in the path. */
  const putPresence = (id: string, presence: string) => {
    const body = JSON.stringify({ presence });
    return sendHttp(ctx.server.port, {
      method: 'PUT',
      path: `/v0/users/${id}/presence`,
      headers: { ...ctx.me.bearer, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) },
      body,
    });
  };

  it('GET /v0/users/{user_id}/presence refuses every malformed id with 400', async () => {
    const findings = new Findings();
    for (const [label, id] of BAD_USER_IDS) {
      findings.add(check('pnut', label, await sendHttp(ctx.server.port, { path: `/v0/users/${id}/presence`, headers: ctx.me.bearer }), 400));
    }
    expect(findings.lines).toEqual([]);
  });

  it('PUT /v0/users/{user_id}/presence refuses every malformed id with 400 and changes nothing', async () => {
    const findings = new Findings();
    for (const [label, id] of BAD_USER_IDS) {
      findings.add(check('pnut', label, await putPresence(id, 'hacked'), 400));
    }
    expect(findings.lines).toEqual([]);
    for (const user of [ctx.me, ctx.other, ctx.admin]) expect((await ctx.t.store.findUserById(user.user.id))?.presenceText).toBeNull();
  });

  it('well-formed ids that are nobody, or somebody else, get 404 (read) and 403 (write)', async () => {
    const findings = new Findings();
    // `..` is two characters an id may hold, sent raw (no client normalises it here).
    for (const id of ['nobodyatall', 'ME', 'me.', '..', '-', ctx.other.user.id.toLowerCase()]) {
      findings.add(check('pnut', `GET ${id}`, await sendHttp(ctx.server.port, { path: `/v0/users/${id}/presence`, headers: ctx.me.bearer }), NOT_FOUND));
      findings.add(check('pnut', `PUT ${id}`, await putPresence(id, 'x'), NOT_YOURS));
    }
    findings.add(check('pnut', "PUT another user's presence", await putPresence(ctx.other.user.id, 'x'), NOT_YOURS));
    expect(findings.lines).toEqual([]);
  });

  it('methods no route serves: 404 in the API shape, naming the method and path, with or without credentials', async () => {
    const routes: [Api, string, string[]][] = [
      ['rocketchat', '/api/v1/login', ['GET', 'PUT', 'DELETE', 'PATCH']],
      ['rocketchat', '/api/v1/logout', ['PUT', 'DELETE']],
      ['rocketchat', '/api/v1/me', ['POST', 'PUT', 'DELETE', 'PATCH']],
      ['rocketchat', '/api/v1/users.create', ['GET', 'PUT', 'DELETE']],
      ['rocketchat', '/api/v1/users.setStatus', ['GET', 'PUT', 'DELETE']],
      ['rocketchat', '/api/v1/users.getStatus', ['POST', 'PUT', 'DELETE']],
      ['rocketchat', '/api/v1/users.getPresence', ['POST', 'PUT', 'DELETE']],
      ['rocketchat', '/api/v1/users.presence', ['POST', 'PUT', 'DELETE', 'PATCH']],
      ['pnut', '/v0/presence', ['POST', 'PUT', 'DELETE', 'PATCH']],
      ['pnut', '/v0/users/me/presence', ['POST', 'DELETE', 'PATCH']],
    ];
    const findings = new Findings();
    for (const [api, path, methods] of routes) {
      for (const method of methods) {
        await freshCaller(ctx);
        const res = await sendHttp(ctx.server.port, { method, path, headers: { ...bothAuth(), 'Content-Type': 'application/json', 'Content-Length': '2' }, body: '{}' });
        // An unknown route is a 404 whoever asks (docs/api.md), as in Rocket.Chat.
        const notServed = refusal(api, 404, `Not found: ${method} ${path}`);
        findings.add(check(api, `${method} ${path}`, res, notServed));
        const anonymous = await sendHttp(ctx.server.port, { method, path });
        findings.add(check(api, `${method} ${path} without credentials`, anonymous, notServed));
      }
    }
    expect(findings.lines).toEqual([]);
  });

  it('routes that do not exist: 404 in the shape of the API the path belongs to', async () => {
    const paths: Record<Api, string[]> = {
      rocketchat: ['/api/v1/users.presence/extra', '/api/v1/', '/api/v1/me%00', '/api/v1/users.presence;jsessionid=1', '/api/v1/rooms.get',
        '/api/v1/%2e%2e/%2e%2e/etc/passwd', '/api/v2/me', '//api/v1/me', '/index.html', '/.env', `/${'x'.repeat(8000)}`],
      pnut: ['/v0/', '/v0/users', '/v0/users/me', '/v0/users/me/presence/extra', '/v0/users/me/../../../etc/passwd', '/v0/posts'],
    };
    const findings = new Findings();
    for (const api of ['rocketchat', 'pnut'] as const) {
      for (const path of paths[api]) findings.add(check(api, path.slice(0, 60), await sendHttp(ctx.server.port, { path, headers: bothAuth() }), 404));
    }
    expect(findings.lines).toEqual([]);
  });
});
