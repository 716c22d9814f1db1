import type { OutgoingHttpHeaders } from 'node:http';
import { describeEachStore } from '../support/testApp';
import { parseRawAnswer, send as sendHttp, sendRaw } from '../hardening/support/http';
import { AUTHENTICATED, check, Findings, freshCaller, sendValid, splitParams, type Ctx, type Endpoint, type Expected, withAbuseCtx } from './support/abuseKit';

/**
 * Credentials and headers that are wrong, odd or repeated, on every authenticated endpoint. A request whose
 * credentials are not exactly one valid token (with, for Rocket.Chat, the matching user id) gets 401 in the
 * API's shape; nothing about a header can make the service fail.
 */

interface Credentials {
  token: string;
  userId: string;
  otherId: string;
}

interface HeaderCase {
  label: string;
  headers: (c: Credentials) => OutgoingHttpHeaders;
  expected: Expected;
}

const long = (n: number) => 'k'.repeat(n);

const HEADER_CASES: HeaderCase[] = [
  { label: 'no credentials', headers: () => ({}), expected: 401 },
  { label: 'X-User-Id alone', headers: (c) => ({ 'X-User-Id': c.userId }), expected: 401 },
  { label: 'empty X-Auth-Token', headers: (c) => ({ 'X-User-Id': c.userId, 'X-Auth-Token': '' }), expected: 401 },
  { label: 'wrong token', headers: (c) => ({ 'X-User-Id': c.userId, 'X-Auth-Token': 'A'.repeat(43) }), expected: 401 },
  { label: '8 000-character token', headers: (c) => ({ 'X-User-Id': c.userId, 'X-Auth-Token': long(8000) }), expected: 401 },
  { label: 'operator as token', headers: (c) => ({ 'X-User-Id': c.userId, 'X-Auth-Token': '{"$gt":""}' }), expected: 401 },
  { label: '"null" as token', headers: (c) => ({ 'X-User-Id': c.userId, 'X-Auth-Token': 'null' }), expected: 401 },
  { label: 'Latin-1 token', headers: (c) => ({ 'X-User-Id': c.userId, 'X-Auth-Token': 'caf\u00e9\u00ff' }), expected: 401 },
  { label: "valid token with another user's id", headers: (c) => ({ 'X-User-Id': c.otherId, 'X-Auth-Token': c.token }), expected: 401 },
  { label: 'valid token with an operator as user id', headers: (c) => ({ 'X-User-Id': '{"$ne":null}', 'X-Auth-Token': c.token }), expected: 401 },
  { label: 'valid token with an 8 000-character user id', headers: (c) => ({ 'X-User-Id': long(8000), 'X-Auth-Token': c.token }), expected: 401 },
  // Node joins repeated unknown headers with ", ": the joined value is no token and no id.
  { label: 'X-Auth-Token repeated', headers: (c) => ({ 'X-User-Id': c.userId, 'X-Auth-Token': [c.token, c.token] }), expected: 401 },
  { label: 'X-User-Id repeated', headers: (c) => ({ 'X-User-Id': [c.userId, c.userId], 'X-Auth-Token': c.token }), expected: 401 },
  { label: 'Bearer without a token', headers: () => ({ Authorization: 'Bearer' }), expected: 401 },
  { label: 'Basic credentials', headers: () => ({ Authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }), expected: 401 },
  { label: 'Bearer with two words', headers: (c) => ({ Authorization: `Bearer ${c.token} extra` }), expected: 401 },
  { label: 'Bearer with a comma list', headers: (c) => ({ Authorization: `Bearer ${c.token},${c.token}` }), expected: 401 },
  { label: 'Bearer with an operator', headers: () => ({ Authorization: 'Bearer {"$gt":""}' }), expected: 401 },
  { label: 'Bearer with 8 000 characters', headers: () => ({ Authorization: `Bearer ${long(8000)}` }), expected: 401 },
  { label: 'another scheme', headers: (c) => ({ Authorization: `Token ${c.token}` }), expected: 401 },
  { label: 'a token without a scheme', headers: (c) => ({ Authorization: c.token }), expected: 401 },
  { label: 'a wrong X-Auth-Token is not rescued by a valid Bearer', headers: (c) => ({ 'X-Auth-Token': 'wrong', Authorization: `Bearer ${c.token}` }), expected: 401 },
  // Two Authorization headers are malformed (RFC 9110 5.3: it is not a list). Node keeps only the first one, so
  // the service must look at the raw headers to notice; a proxy that keeps the last one would disagree with it.
  { label: 'Authorization repeated, valid first', headers: (c) => ({ Authorization: [`Bearer ${c.token}`, 'Bearer forged'] }), expected: 401 },
  { label: 'Authorization repeated, valid last', headers: (c) => ({ Authorization: ['Bearer forged', `Bearer ${c.token}`] }), expected: 401 },
];

/** Odd but valid: these must work like the plain valid call. */
const ACCEPTED_CASES: HeaderCase[] = [
  // Authentication schemes are case-insensitive (RFC 9110 11.1).
  { label: 'lower-case bearer', headers: (c) => ({ Authorization: `bearer ${c.token}` }), expected: 200 },
  { label: 'upper-case BEARER', headers: (c) => ({ Authorization: `BEARER ${c.token}` }), expected: 200 },
  // The service accepts a Rocket.Chat token without X-User-Id (it knows whose it is), as it accepts pnut's Bearer.
  { label: 'X-Auth-Token without X-User-Id', headers: (c) => ({ 'X-Auth-Token': c.token }), expected: 200 },
  { label: 'both header styles, both valid', headers: (c) => ({ 'X-User-Id': c.userId, 'X-Auth-Token': c.token, Authorization: `Bearer ${c.token}` }), expected: 200 },
];

function credentialsOf(ctx: Ctx, endpoint: Endpoint): Credentials {
  const auth = endpoint.auth(ctx);
  const caller = auth['X-Auth-Token'] === ctx.admin.token || auth.Authorization === `Bearer ${ctx.admin.token}` ? ctx.admin : ctx.me;
  return { token: caller.token, userId: caller.user.id, otherId: ctx.other.user.id };
}

describeEachStore('malformed and repeated headers', (kind) => {
  let ctx: Ctx;
  withAbuseCtx(kind, (built) => (ctx = built));

  /** The endpoint's valid call with its credentials replaced by `headers`. */
  const call = (endpoint: Endpoint, headers: OutgoingHttpHeaders) => sendValid(ctx, endpoint, { credentials: headers as Record<string, string | string[]> });

  it.each(AUTHENTICATED.map((endpoint): [string, Endpoint] => [endpoint.name, endpoint]))('%s', async (_name, endpoint) => {
    const findings = new Findings();
    for (const item of [...HEADER_CASES, ...ACCEPTED_CASES]) {
      await freshCaller(ctx);
      findings.add(check(endpoint.api, item.label, await call(endpoint, item.headers(credentialsOf(ctx, endpoint))), item.expected));
    }
    expect(findings.lines).toEqual([]);
  });

  it.each(AUTHENTICATED.filter((endpoint) => endpoint.method !== 'get').map((endpoint): [string, Endpoint] => [endpoint.name, endpoint]))(
    '%s: a repeated Content-Type is read as its first value (Node keeps the first), text/plain here: 415',
    async (_name, endpoint) => {
      const { body } = splitParams(endpoint, endpoint.valid(ctx));
      const json = JSON.stringify(body);
      const res = await sendHttp(ctx.server.port, {
        method: endpoint.method.toUpperCase(),
        path: endpoint.path(ctx),
        headers: { ...endpoint.auth(ctx), 'Content-Type': ['text/plain', 'application/json'], 'Content-Length': String(Buffer.byteLength(json)) },
        body: json,
      });
      expect(check(endpoint.api, 'repeated Content-Type', res, 415)).toBeUndefined();
    },
  );

  describe('bytes only a raw client sends', () => {
    const rawGet = (path: string, headerLines: string) =>
      sendRaw(ctx.server.port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headerLines}Connection: close\r\n\r\n`).then(parseRawAnswer);

    it('a token with Latin-1 bytes: 401 in the API shape', async () => {
      expect(check('rocketchat', 'latin-1', await rawGet('/api/v1/me', `X-User-Id: ${ctx.me.user.id}\r\nX-Auth-Token: caf\u00e9\u00ff\r\n`), 401)).toBeUndefined();
      expect(check('pnut', 'latin-1', await rawGet('/v0/presence', 'Authorization: Bearer caf\u00e9\u00ff\r\n'), 401)).toBeUndefined();
    });

    it('a token with raw UTF-8 bytes: 401 in the API shape', async () => {
      const utf8 = Buffer.from('Authorization: Bearer 😀token\r\n', 'utf8').toString('latin1');
      expect(check('pnut', 'utf-8', await rawGet('/v0/presence', utf8), 401)).toBeUndefined();
    });

    // The next ones are refused by Node's HTTP parser before the app sees a request, so the answer is Node's own
    // (no JSON, no API to choose a shape from). What matters: a 4xx, and the service goes on serving.
    it.each([
      { label: 'a control character in a header value', lines: `X-Auth-Token: a\u0001b\r\n`, status: 400 },
      { label: 'a header line without a colon', lines: 'X-Auth-Token\r\n', status: 400 },
      { label: 'headers over 16 kB', lines: `X-Padding: ${'p'.repeat(20000)}\r\n`, status: 431 },
      { label: 'both Content-Length and Transfer-Encoding (request smuggling)', lines: 'Content-Length: 5\r\nTransfer-Encoding: chunked\r\n', status: 400 },
      { label: 'an invalid Content-Length', lines: 'Content-Length: -1\r\n', status: 400 },
      { label: 'two different Content-Lengths', lines: 'Content-Length: 1\r\nContent-Length: 2\r\n', status: 400 },
    ])('$label: Node answers $status itself', async ({ lines, status }) => {
      const answer = await rawGet('/api/v1/me', lines);
      expect(answer.status).toBe(status);
      expect(answer.text).not.toMatch(/\bat .+\(|node_modules|\/work\//);
    });
  });
});
