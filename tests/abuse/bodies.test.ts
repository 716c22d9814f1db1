import { gzipSync } from 'node:zlib';
import { describeEachStore } from '../support/testApp';
import { parseRawAnswer, send as sendHttp, sendRaw } from '../hardening/support/http';
import { check, ENDPOINTS, Findings, freshCaller, refusal, splitParams, type Ctx, type Endpoint, type Expected, withAbuseCtx } from './support/abuseKit';

/**
 * Whole bodies that are wrong: JSON that is not an object (`null`, `[]`, a string…), JSON that does not parse,
 * bodies of the wrong content type or encoding, and empty bodies. POST and PUT endpoints must refuse every
 * malformed body with a 4xx in their API's shape. GET endpoints get the same treatment: a body on a GET has no
 * meaning, but a body that cannot be read is still refused rather than ignored, consistently across the service.
 */

interface BodyCase {
  label: string;
  contentType?: string;
  contentEncoding?: string;
  body: (ctx: Ctx, endpoint: Endpoint) => string | Buffer;
  expected: (endpoint: Endpoint) => Expected;
}

/** The valid call's body parameters as a JSON object text. */
const validJson = (ctx: Ctx, endpoint: Endpoint) => JSON.stringify(splitParams(endpoint, endpoint.valid(ctx)).body);
const firstBodyField = (endpoint: Endpoint) => endpoint.fields.find((field) => field.where === 'body')?.name ?? 'anything';

const refused = (status: Expected) => () => status;

const BODY_CASES: BodyCase[] = [
  { label: 'JSON null', contentType: 'application/json', body: () => 'null', expected: refused(400) },
  { label: 'JSON []', contentType: 'application/json', body: () => '[]', expected: refused(400) },
  { label: 'JSON [valid object]', contentType: 'application/json', body: (ctx, e) => `[${validJson(ctx, e)}]`, expected: refused(400) },
  { label: 'JSON string', contentType: 'application/json', body: () => '"status"', expected: refused(400) },
  { label: 'JSON number', contentType: 'application/json', body: () => '42', expected: refused(400) },
  { label: 'JSON true', contentType: 'application/json', body: () => 'true', expected: refused(400) },
  { label: 'truncated JSON', contentType: 'application/json', body: () => '{"status":', expected: refused(400) },
  { label: 'single-quoted JSON', contentType: 'application/json', body: () => "{'status':'online'}", expected: refused(400) },
  { label: 'trailing comma', contentType: 'application/json', body: () => '{"status":"online",}', expected: refused(400) },
  { label: 'NaN', contentType: 'application/json', body: () => '{"status":NaN}', expected: refused(400) },
  { label: 'comment in JSON', contentType: 'application/json', body: () => '{"status":"online"/* hi */}', expected: refused(400) },
  { label: 'binary garbage as JSON', contentType: 'application/json', body: () => Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x80, 0x81]), expected: refused(400) },
  { label: 'form text labelled JSON', contentType: 'application/json', body: () => 'status=online&message=x', expected: refused(400) },
  {
    label: 'duplicate key whose last value is an operator',
    contentType: 'application/json',
    body: (_ctx, e) => `{"${firstBodyField(e)}":"x","${firstBodyField(e)}":{"$gt":""}}`,
    // JSON.parse keeps the last value; every field is a plain string, so an object is refused. Endpoints without
    // body fields never read it.
    expected: (e) => (e.fields.some((field) => field.where === 'body') ? 400 : e.bare),
  },
  {
    label: 'deeply nested arrays (3 000 levels)',
    contentType: 'application/json',
    body: (_ctx, e) => `{"${firstBodyField(e)}":${'['.repeat(3000)}${']'.repeat(3000)}}`,
    expected: (e) => (e.fields.some((field) => field.where === 'body') ? 400 : e.bare),
  },
  { label: 'text/plain', contentType: 'text/plain', body: (ctx, e) => validJson(ctx, e), expected: refused(415) },
  { label: 'text/plain with charset', contentType: 'text/plain; charset=utf-8', body: (ctx, e) => validJson(ctx, e), expected: refused(415) },
  { label: 'application/xml', contentType: 'application/xml', body: () => '<status>online</status>', expected: refused(415) },
  {
    label: 'multipart/form-data',
    contentType: 'multipart/form-data; boundary=XyZ',
    body: () => '--XyZ\r\nContent-Disposition: form-data; name="status"\r\n\r\nonline\r\n--XyZ--\r\n',
    expected: refused(415),
  },
  { label: 'application/octet-stream', contentType: 'application/octet-stream', body: () => Buffer.from([1, 2, 3]), expected: refused(415) },
  { label: 'a made-up type', contentType: 'application/x-presence+json', body: (ctx, e) => validJson(ctx, e), expected: refused(415) },
  { label: 'JSON with an unsupported charset', contentType: 'application/json; charset=latin1', body: (ctx, e) => validJson(ctx, e), expected: refused(415) },
  { label: 'JSON labelled UTF-16 but sent as UTF-8', contentType: 'application/json; charset=utf-16', body: (ctx, e) => validJson(ctx, e), expected: (endpoint) => refusal(endpoint.api, 400, 'The request body is not valid JSON', endpoint.api === 'pnut' ? undefined : 'invalid-params') },
  { label: 'a media type without a subtype', contentType: 'application', body: (ctx, e) => validJson(ctx, e), expected: refused(415) },
  { label: 'a Content-Type that is not a media type', contentType: '{"$gt":""}', body: (ctx, e) => validJson(ctx, e), expected: refused(415) },
  { label: 'gzip that is not gzip', contentType: 'application/json', contentEncoding: 'gzip', body: (ctx, e) => validJson(ctx, e), expected: refused(400) },
  { label: 'deflate that is not deflate', contentType: 'application/json', contentEncoding: 'deflate', body: () => 'nope', expected: refused(400) },
  { label: 'truncated gzip', contentType: 'application/json', contentEncoding: 'gzip', body: (ctx, e) => gzipSync(validJson(ctx, e)).subarray(0, 12), expected: refused(400) },
  { label: 'an unknown Content-Encoding', contentType: 'application/json', contentEncoding: 'x-snappy', body: (ctx, e) => validJson(ctx, e), expected: refused(415) },
];

/** Bodies that are empty: no body has no type, so none of these is "the wrong type". */
const EMPTY_CASES: { label: string; headers: Record<string, string> }[] = [
  // What fetch() and Node's http client send for a POST without a body.
  { label: 'Content-Length: 0 and no Content-Type', headers: { 'Content-Length': '0' } },
  { label: 'Content-Length: 0 with Content-Type: application/json', headers: { 'Content-Length': '0', 'Content-Type': 'application/json' } },
  { label: 'Content-Length: 0 with a form Content-Type', headers: { 'Content-Length': '0', 'Content-Type': 'application/x-www-form-urlencoded' } },
];

describeEachStore('malformed bodies', (kind) => {
  let ctx: Ctx;
  withAbuseCtx(kind, (built) => (ctx = built));

  /** Sends the valid call's query and headers with the given body. */
  const withBody = (endpoint: Endpoint, body: string | Buffer | undefined, headers: Record<string, string>) => {
    const { query } = splitParams(endpoint, endpoint.valid(ctx));
    const path = query === '' ? endpoint.path(ctx) : `${endpoint.path(ctx)}?${query}`;
    const length = body === undefined || 'Content-Length' in headers ? {} : { 'Content-Length': String(Buffer.byteLength(body)) };
    return sendHttp(ctx.server.port, { method: endpoint.method.toUpperCase(), path, headers: { ...endpoint.auth(ctx), ...length, ...headers }, body });
  };

  it.each(ENDPOINTS.map((endpoint): [string, Endpoint] => [endpoint.name, endpoint]))('%s: every malformed body is refused', async (_name, endpoint) => {
    const findings = new Findings();
    for (const item of BODY_CASES) {
      await freshCaller(ctx);
      const body = item.body(ctx, endpoint);
      const headers: Record<string, string> = { 'Content-Length': String(Buffer.byteLength(body)) };
      if (item.contentType !== undefined) headers['Content-Type'] = item.contentType;
      if (item.contentEncoding !== undefined) headers['Content-Encoding'] = item.contentEncoding;
      findings.add(check(endpoint.api, item.label, await withBody(endpoint, body, headers), item.expected(endpoint)));
    }
    // A body with no Content-Type at all cannot be read either.
    await freshCaller(ctx);
    const untyped = validJson(ctx, endpoint);
    findings.add(check(endpoint.api, 'a body without Content-Type', await withBody(endpoint, untyped, { 'Content-Length': String(Buffer.byteLength(untyped)) }), 415));
    // A JSON text sent as a form is a form with one strange key: every real parameter is missing.
    await freshCaller(ctx);
    const asForm = validJson(ctx, endpoint);
    findings.add(check(endpoint.api, 'JSON text labelled as a form', await withBody(endpoint, asForm, { 'Content-Type': 'application/x-www-form-urlencoded' }), endpoint.bare));
    expect(findings.lines).toEqual([]);
  });

  it.each(ENDPOINTS.filter((endpoint) => endpoint.method !== 'get').map((endpoint): [string, Endpoint] => [endpoint.name, endpoint]))(
    '%s: an empty body is the same as no parameters',
    async (_name, endpoint) => {
      const findings = new Findings();
      for (const item of EMPTY_CASES) {
        await freshCaller(ctx);
        findings.add(check(endpoint.api, item.label, await sendHttp(ctx.server.port, { method: endpoint.method.toUpperCase(), path: endpoint.path(ctx), headers: { ...endpoint.auth(ctx), ...item.headers } }), endpoint.bare));
      }
      // curl -X POST: no Content-Length, no Transfer-Encoding, nothing.
      await freshCaller(ctx);
      const auth = Object.entries(endpoint.auth(ctx)).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      const raw = await sendRaw(ctx.server.port, `${endpoint.method.toUpperCase()} ${endpoint.path(ctx)} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Connection: close\r\n\r\n`);
      findings.add(check(endpoint.api, 'no body and no body headers at all', parseRawAnswer(raw), endpoint.bare));
      expect(findings.lines).toEqual([]);
    },
  );

  it('no body can pollute Object.prototype', async () => {
    const endpoints = ENDPOINTS.filter((endpoint) => endpoint.method !== 'get');
    expect(endpoints.map((endpoint) => endpoint.name)).toEqual([
      'POST /api/v1/login',
      'POST /api/v1/login (username, email and resume forms)',
      'POST /api/v1/logout',
      'POST /api/v1/users.create',
      'POST /api/v1/users.setStatus',
      'PUT /v0/users/me/presence (body)',
      'PUT /v0/users/me/presence (query)',
    ]);
    // `__proto__` and `constructor` are unknown parameters like any other: the call is the bare call (or, with a
    // valid `status`, a status change), exactly as if they were not there.
    const bodies: [string, (endpoint: Endpoint) => Expected][] = [
      ['{"__proto__":{"polluted":"yes","roles":["admin"]}}', (endpoint) => endpoint.bare],
      ['{"constructor":{"prototype":{"polluted":"yes"}}}', (endpoint) => endpoint.bare],
      ['{"status":"online","__proto__":{"isAdmin":true}}', (endpoint) => (endpoint.name === 'POST /api/v1/users.setStatus' ? 200 : endpoint.bare)],
    ];
    const findings = new Findings();
    for (const endpoint of endpoints) {
      for (const [body, expected] of bodies) {
        await freshCaller(ctx);
        findings.add(check(endpoint.api, `${endpoint.name} ${body}`, await withBody(endpoint, body, { 'Content-Type': 'application/json' }), expected(endpoint)));
      }
      await freshCaller(ctx);
      const form = await withBody(endpoint, '__proto__[polluted]=yes&constructor[prototype][polluted]=yes', { 'Content-Type': 'application/x-www-form-urlencoded' });
      findings.add(check(endpoint.api, `${endpoint.name} form`, form, endpoint.bare));
    }
    for (const query of ['__proto__[polluted]=yes', 'constructor[prototype][polluted]=yes', 'ids[__proto__][polluted]=yes']) {
      const res = await sendHttp(ctx.server.port, { path: `/api/v1/users.presence?${query}`, headers: ctx.me.headers });
      findings.add(check('rocketchat', query, res, 200));
    }
    expect(findings.lines).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).roles).toBeUndefined();
    // And nobody became an admin: a plain user still may not create users.
    await freshCaller(ctx);
    const create = await sendHttp(ctx.server.port, {
      method: 'POST',
      path: '/api/v1/users.create',
      headers: { ...ctx.me.headers, 'Content-Type': 'application/json' },
      body: '{"username":"sneaky","name":"S","password":"p","__proto__":{"roles":["admin"]}}',
    });
    expect(create.status).toBe(400);
    expect(create.json().errorType).toBe('error-action-not-allowed');
  });
});
