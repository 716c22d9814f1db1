import request from 'supertest';
import type { StoreKind } from '../../support/stores';
import { appPerTest, TEST_PASSWORD, type SeededUser, type TestApp } from '../../support/testApp';
import { listen, type Listening } from '../../hardening/support/harness';
import { send as sendHttp, type RawAnswer } from '../../hardening/support/http';
import { expectApiError, expectApiSuccess, type Answer, type Api } from '../../hardening/support/shapes';

export { expectApiSuccess, type Api };

/** A running app with the users every abuse test needs; fresh per test so a logout or a change never leaks. */
export interface Ctx {
  t: TestApp;
  server: Listening;
  /** The caller. */
  me: SeededUser;
  /** An admin, for users.create. */
  admin: SeededUser;
  /** Somebody else. */
  other: SeededUser;
}

/** A new caller for the next case, so that a case that logs out (or changes the caller) affects no other case. */
export async function freshCaller(ctx: Ctx): Promise<void> {
  ctx.me = await ctx.t.seedUser();
}

/** An expected answer: a status (in the API's shape), or a refusal's status and whole body. */
export type Expected = number | { status: number; body: Record<string, unknown> };

/** A refusal's body, in the API's shape. */
export function refusal(api: Api, status: number, message: string, errorType?: string): Expected {
  if (api === 'pnut') return { status, body: { meta: { code: status, error_message: message } } };
  return errorType === undefined
    ? { status, body: { success: false, error: message } }
    : { status, body: { success: false, error: `${message} [${errorType}]`, errorType } };
}

/** A parameter the validators refuse: 400 naming it. */
export function invalidParam(api: Api, name: string, problem: string): Expected {
  return api === 'pnut' ? refusal(api, 400, `The parameter "${name}" ${problem}`) : refusal(api, 400, `The parameter "${name}" ${problem}`, 'invalid-params');
}

/** Rocket.Chat's answer to bad credentials (docs/api.md, POST /login). */
export const BAD_CREDENTIALS: Expected = { status: 401, body: { success: false, status: 'error', error: 'Unauthorized', message: 'Unauthorized' } };
/** Rocket.Chat's answer to a user reference that names nobody (users.getStatus, users.getPresence). */
const NO_SUCH_USER = refusal('rocketchat', 400, 'The required "userId" or "username" param provided does not match any users', 'error-invalid-user');

export type Where = 'body' | 'query';

export interface Field {
  name: string;
  where: Where;
  /** The longest string accepted; one more character is refused with 400. */
  maxLength: number;
  /**
   * What a well-formed but odd string gets (control characters, Unicode, injection text, a date as text): 200
   * where the field is free text, 400 where it must match a pattern, 401/403/404 where it names something that
   * does not exist or is not the caller's.
   */
  odd: Expected;
  /** What the empty string gets; null where no single answer is clearly right (the field's comment says why). */
  empty: Expected | null;
  /** What the call gets when the field is absent (a form key like `field[$ne]` is just another, unknown key). */
  missing: Expected;
  /** `ids`: a list is the normal form. */
  list?: boolean;
  /** A valid value, when the endpoint's valid call does not already hold one. */
  sample?: (ctx: Ctx) => string;
  /** Parameters of the valid call to leave out while this field is tested (they would take precedence). */
  without?: string[];
}

export interface Endpoint {
  name: string;
  api: Api;
  method: 'get' | 'post' | 'put';
  path(ctx: Ctx): string;
  auth(ctx: Ctx): Record<string, string>;
  /** The parameters of a valid call, by field name; a fresh set per call (usernames must be unique). */
  valid(ctx: Ctx): Record<string, string>;
  fields: Field[];
  /** The answer to a call with no parameters at all (and no body). */
  bare: Expected;
}

const unique = () => Math.random().toString(36).slice(2, 10);

/**
 * An endpoint named `METHOD /path` (the path may be followed by a label in parentheses); its API is pnut's under
 * /v0, else Rocket.Chat's.
 */
function endpoint(name: string, spec: Pick<Endpoint, 'auth' | 'valid' | 'fields' | 'bare'> & { path?: Endpoint['path'] }): Endpoint {
  const [method, path] = name.split(' ');
  return { name, api: path.startsWith('/v0/') ? 'pnut' : 'rocketchat', method: method.toLowerCase() as Endpoint['method'], path: () => path, ...spec };
}

/** An endpoint that takes no parameters: its bare call is its valid call. */
const withoutParameters = (name: string, auth: Endpoint['auth'], path?: Endpoint['path']): Endpoint =>
  endpoint(name, { auth, valid: () => ({}), fields: [], bare: 200, ...(path === undefined ? {} : { path }) });

/** PUT /v0/users/me/presence with its parameters in the body or in the query: the same fields either way. */
function pnutPresencePut(where: Where): Endpoint {
  return endpoint(`PUT /v0/users/me/presence (${where})`, {
    auth: (ctx) => ctx.me.bearer,
    valid: (ctx) => ({ presence: 'in a meeting', expiration: String(Math.floor(ctx.t.clock.now().getTime() / 1000) + 3600) }),
    fields: [
      // A presence is free text up to 100 code points; the empty string is a (blank) presence like any other.
      { name: 'presence', where, maxLength: 100, odd: 200, empty: 200, missing: 200 },
      { name: 'expiration', where, maxLength: 20, odd: 400, empty: 400, missing: 200 },
    ],
    bare: 200,
  });
}

/** users.getStatus and users.getPresence: one user, named by id or by username, read by the caller. */
function rocketChatUserRead(method: 'users.getStatus' | 'users.getPresence'): Endpoint {
  return endpoint(`GET /api/v1/${method}`, {
    auth: (ctx) => ctx.me.headers,
    valid: (ctx) => ({ userId: ctx.other.user.id }),
    fields: [
      // An empty one names nobody, so the caller is read, as in Rocket.Chat (issue 22).
      { name: 'userId', where: 'query', maxLength: 64, odd: 400, empty: 200, missing: 200 },
      // A username that is nobody's: Rocket.Chat's 400 error-invalid-user.
      { name: 'username', where: 'query', maxLength: 64, odd: NO_SUCH_USER, empty: 200, missing: 200, sample: (ctx) => ctx.other.user.username, without: ['userId'] },
      { name: 'user', where: 'query', maxLength: 64, odd: NO_SUCH_USER, empty: 200, missing: 200, sample: (ctx) => ctx.other.user.username, without: ['userId'] },
    ],
    bare: 200,
  });
}

/** Every endpoint of both APIs, with what each field accepts. */
export const ENDPOINTS: Endpoint[] = [
  endpoint('POST /api/v1/login', {
    auth: () => ({}),
    valid: (ctx) => ({ user: ctx.me.user.username, password: TEST_PASSWORD }),
    fields: [
      // A login name that matches nobody, and a password that matches nothing (the empty ones too), are refused as
      // bad credentials.
      { name: 'user', where: 'body', maxLength: 256, odd: 401, empty: BAD_CREDENTIALS, missing: 400 },
      { name: 'password', where: 'body', maxLength: 1024, odd: 401, empty: BAD_CREDENTIALS, missing: 400 },
    ],
    bare: 400,
  }),
  endpoint('POST /api/v1/login (username, email and resume forms)', {
    auth: () => ({}),
    valid: (ctx) => ({ resume: ctx.me.token }),
    fields: [
      { name: 'resume', where: 'body', maxLength: 256, odd: 401, empty: BAD_CREDENTIALS, missing: 400 },
      // Added to a valid resume call: a login name is checked for type and length, then ignored (resume wins).
      { name: 'username', where: 'body', maxLength: 256, odd: 200, empty: 200, missing: 200, sample: () => 'someone' },
      { name: 'email', where: 'body', maxLength: 256, odd: 200, empty: 200, missing: 200, sample: () => 'someone@example.com' },
    ],
    bare: 400,
  }),
  withoutParameters('POST /api/v1/logout', (ctx) => ctx.me.headers),
  withoutParameters('GET /api/v1/me', (ctx) => ctx.me.headers),
  endpoint('POST /api/v1/users.create', {
    auth: (ctx) => ctx.admin.headers,
    valid: () => ({ username: `u${unique()}`, name: 'New User', password: 'a password', email: `${unique()}@example.com` }),
    fields: [
      { name: 'username', where: 'body', maxLength: 64, odd: 400, empty: 400, missing: 400 },
      // A display name is free text, as in Rocket.Chat (JSON escapes whatever it holds on the way out). The empty
      // name is not asserted: this service creates the user, where Rocket.Chat (Accounts_RequireNameForSignUp, on
      // by default) answers 400 `The field Name is required [error-the-field-is-required]`; undecided.
      { name: 'name', where: 'body', maxLength: 256, odd: 200, empty: null, missing: 400 },
      { name: 'password', where: 'body', maxLength: 1024, odd: 200, empty: 400, missing: 400 },
      // The empty address is not an address (docs/api.md: `400 Invalid email <address> [error-invalid-email]`).
      { name: 'email', where: 'body', maxLength: 256, odd: 400, empty: refusal('rocketchat', 400, 'Invalid email ', 'error-invalid-email'), missing: 200 },
    ],
    bare: 400,
  }),
  endpoint('POST /api/v1/users.setStatus', {
    auth: (ctx) => ctx.me.headers,
    valid: () => ({ status: 'away', message: 'at lunch' }),
    fields: [
      { name: 'status', where: 'body', maxLength: 32, odd: 400, empty: 400, missing: 200 },
      // Status text is free text, trimmed and cut to 120 characters.
      { name: 'message', where: 'body', maxLength: 1024, odd: 200, empty: 200, missing: 200 },
      // Another user's status needs admin rights: any other id or username, odd or not, is forbidden to a plain
      // user. An empty one names nobody, so the caller's own status is set, as in Rocket.Chat (issue 22).
      { name: 'userId', where: 'body', maxLength: 64, odd: 403, empty: 200, missing: 200, sample: (ctx) => ctx.me.user.id },
      { name: 'username', where: 'body', maxLength: 64, odd: 403, empty: 200, missing: 200, sample: (ctx) => ctx.me.user.username },
      { name: 'user', where: 'body', maxLength: 64, odd: 403, empty: 200, missing: 200, sample: (ctx) => ctx.me.user.username },
    ],
    bare: 400,
  }),
  rocketChatUserRead('users.getStatus'),
  rocketChatUserRead('users.getPresence'),
  endpoint('GET /api/v1/users.presence', {
    auth: (ctx) => ctx.me.headers,
    valid: (ctx) => ({ from: new Date(ctx.t.clock.now().getTime() - 60000).toISOString(), ids: ctx.other.user.id }),
    fields: [
      { name: 'from', where: 'query', maxLength: 64, odd: 400, empty: 400, missing: 200 },
      // `ids=` is an empty list: an empty answer, not an error.
      { name: 'ids', where: 'query', maxLength: 64 * 500, odd: 400, empty: 200, missing: 200, list: true },
    ],
    bare: 200,
  }),
  withoutParameters('GET /v0/presence', (ctx) => ctx.me.bearer),
  withoutParameters('GET /v0/users/{id}/presence', (ctx) => ctx.me.bearer, (ctx) => `/v0/users/${ctx.other.user.id}/presence`),
  pnutPresencePut('body'),
  pnutPresencePut('query'),
];

export const AUTHENTICATED = ENDPOINTS.filter((endpoint) => !endpoint.name.startsWith('POST /api/v1/login'));

/** One request: parameters go where their field says (unknown ones into the body for POST/PUT, else the query). */
export interface Call {
  /** A JSON-able body, or a raw string sent as is. */
  body?: unknown;
  /** A raw query string (without `?`), appended after the valid call's own query. */
  rawQuery?: string;
  contentType?: string;
  headers?: Record<string, string | string[]>;
  /** Replaces the endpoint's auth headers. */
  auth?: Record<string, string>;
}

function fieldWhere(endpoint: Endpoint, name: string): Where {
  return endpoint.fields.find((field) => field.name === name)?.where ?? (endpoint.method === 'get' ? 'query' : 'body');
}

/** Splits a valid call's parameters into a query string and a body object. */
export function splitParams(endpoint: Endpoint, params: Record<string, unknown>): { query: string; body: Record<string, unknown> } {
  const query = new URLSearchParams();
  const body: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    if (fieldWhere(endpoint, name) === 'query') query.append(name, String(value));
    else body[name] = value;
  }
  return { query: query.toString(), body };
}

export function send(ctx: Ctx, endpoint: Endpoint, call: Call): request.Test {
  const path = endpoint.path(ctx);
  const url = call.rawQuery === undefined || call.rawQuery === '' ? path : `${path}?${call.rawQuery}`;
  let req = request(ctx.server.server)[endpoint.method](url).set(call.auth ?? endpoint.auth(ctx));
  for (const [name, value] of Object.entries(call.headers ?? {})) req = req.set(name, value as string);
  if (call.contentType !== undefined) req = req.set('Content-Type', call.contentType);
  if (call.body !== undefined) req = req.send(typeof call.body === 'string' ? call.body : (call.body as object));
  return req;
}

/** The endpoint's valid call with some parameters replaced (a value of `undefined` removes one). */
export function callWith(ctx: Ctx, endpoint: Endpoint, overrides: Record<string, unknown>, extraQuery = ''): request.Test {
  const params: Record<string, unknown> = { ...endpoint.valid(ctx), ...overrides };
  for (const [name, value] of Object.entries(params)) if (value === undefined) delete params[name];
  const { query, body } = splitParams(endpoint, params);
  const rawQuery = [query, extraQuery].filter((part) => part !== '').join('&');
  const hasBody = endpoint.method !== 'get';
  return send(ctx, endpoint, { rawQuery, body: hasBody ? body : undefined });
}

/** Checks one answer against what was expected; returns a line describing the mismatch, or undefined. */
export function check(api: Api, label: string, answer: Answer, expected: Expected): string | undefined {
  try {
    if (expected === 200) expectApiSuccess(api, answer);
    else if (typeof expected === 'number') expectApiError(api, answer, expected);
    else expect(expectApiError(api, answer, expected.status)).toEqual(expected.body);
    return undefined;
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n').filter((line) => line.trim() !== '').slice(0, 6).join(' | ');
    return `${label}: got ${answer.status} ${answer.text.slice(0, 160)} — ${reason.slice(0, 300)}`;
  }
}

/** Collects mismatches over a table, so one run lists every failing case at once. */
export class Findings {
  readonly lines: string[] = [];
  add(line: string | undefined): void {
    if (line !== undefined) this.lines.push(line);
  }
}

/** After garbage, the service still does its normal work: a status change and a read of it, through both APIs. */
export async function expectStillServing(ctx: Ctx): Promise<void> {
  const someone = await ctx.t.seedUser();
  const set = await request(ctx.server.server).post('/api/v1/users.setStatus').set(someone.headers).send({ status: 'busy' });
  expect(set.status).toBe(200);
  const read = await request(ctx.server.server).get(`/v0/users/${someone.user.id}/presence`).set(ctx.admin.bearer);
  expect(read.status).toBe(200);
  expect(read.body.data.presence).toBe('busy');
  expect((await request(ctx.server.server).get('/healthz')).status).toBe(200);
}

/**
 * Gives each test of a suite a fresh app on `kind` (appPerTest), listening on a real port, with the users every
 * abuse test needs (handed over through `receive`); after each test checks that the service still answers a
 * normal call before the port and the app are closed.
 */
export function withAbuseCtx(kind: StoreKind, receive: (ctx: Ctx) => void): void {
  let ctx: Ctx | undefined;
  // Declared before appPerTest: Jest runs the afterEach hooks of a block in the order they were declared, so this
  // one runs while the app is still open.
  afterEach(async () => {
    try {
      if (ctx !== undefined) await expectStillServing(ctx);
    } finally {
      await ctx?.server.close();
      ctx = undefined;
    }
  });
  const current = appPerTest(kind);
  beforeEach(async () => {
    const { t } = current;
    ctx = {
      t,
      server: await listen(t.app),
      me: await t.seedUser(),
      admin: await t.seedUser({ roles: ['admin', 'user'] }),
      other: await t.seedUser(),
    };
    receive(ctx);
  });
}

/** The endpoint's valid call, sent raw, with extra query text, extra body fields and headers replacing its credentials. */
export function sendValid(ctx: Ctx, endpoint: Endpoint, extra: { query?: string; body?: Record<string, unknown>; credentials?: Record<string, string | string[]> } = {}): Promise<RawAnswer> {
  const { query, body } = splitParams(endpoint, endpoint.valid(ctx));
  const rawQuery = [query, extra.query ?? ''].filter((part) => part !== '').join('&');
  const path = rawQuery === '' ? endpoint.path(ctx) : `${endpoint.path(ctx)}?${rawQuery}`;
  const json = endpoint.method === 'get' ? undefined : JSON.stringify({ ...body, ...extra.body });
  const bodyHeaders = json === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(json)) };
  return sendHttp(ctx.server.port, { method: endpoint.method.toUpperCase(), path, headers: { ...bodyHeaders, ...(extra.credentials ?? endpoint.auth(ctx)) }, body: json });
}
