import request from 'supertest';
import type { StoreKind } from '../../support/stores';
import type { SeededUser, TestApp } from '../../support/testApp';

/** Shared by the Rocket.Chat API suites: the bodies and headers a Rocket.Chat client relies on, and small request helpers. */

export const NOT_LOGGED_IN = {
  success: false,
  error: 'You must be logged in to do this.',
  status: 'error',
  message: 'You must be logged in to do this.',
};

/** A login token as the service makes them: 32 random bytes in base64url. */
export const LOGIN_TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** A user id as the service makes them: 17 characters of Meteor's alphabet. */
export const USER_ID_FORMAT = /^[23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz]{17}$/;

/** users.getStatus's own `connections` for a REST client that declared a status (one lease), and for nobody connected. */
export const ONE_DECLARATION = { stream: 0, heartbeat: 0, declaration: 1 };
export const NO_CONNECTION = { stream: 0, heartbeat: 0, declaration: 0 };

export const LOGIN_REFUSED = { success: false, status: 'error', error: 'Unauthorized', message: 'Unauthorized' };

/** A login refused past the failed-login limit, as Rocket.Chat's blocking answers it (with `errorType` added). */
export function loginBlocked(scope: 'ip' | 'user'): object {
  return {
    success: false,
    status: 'error',
    error: `error-login-blocked-for-${scope}`,
    errorType: `error-login-blocked-for-${scope}`,
    details: { function: 'Accounts.validateLoginAttempt' },
    message: scope === 'ip' ? 'Login has been temporarily blocked For IP' : 'Login has been temporarily blocked For User',
  };
}

export interface PresenceUserView {
  _id: string;
  username: string;
  name: string;
  status: string;
  utcOffset: number;
  statusText?: string;
  avatarETag?: string;
}

export interface PresenceBody {
  users: PresenceUserView[];
  full: boolean;
  success: boolean;
}

/** Every Rocket.Chat answer with a body: exactly `application/json`, never cached. */
export function expectRocketChatJson(res: request.Response): void {
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers.pragma).toBe('no-cache');
}

/** A JSON error, never an HTML page nor a stack trace. */
export function expectCleanJsonError(res: request.Response): void {
  expectRocketChatJson(res);
  expect(() => JSON.parse(res.text) as unknown).not.toThrow();
  expect(res.text).not.toMatch(/<html|<!DOCTYPE|<pre>/i);
  expect(res.text).not.toMatch(/\bat \S+ \(|\.ts:\d+|node_modules|Error: /);
  expect(res.body.success).toBe(false);
}

export function setStatus(t: TestApp, who: SeededUser, body: object): Promise<request.Response> {
  return request(t.app).post('/api/v1/users.setStatus').set(who.headers).send(body);
}

/** Sets a status and insists it worked, for test set-up. */
export async function goStatus(t: TestApp, who: SeededUser, status: string, message?: string): Promise<void> {
  const res = await setStatus(t, who, message === undefined ? { status } : { status, message });
  expect(res.status).toBe(200);
}

/** The forms a list of user ids takes in a query, as Rocket.Chat's clients send it: [name, query for `ids`]. */
export const ID_FORMS: [string, (ids: string[]) => string][] = [
  ['ids[]=', (ids) => ids.map((id) => `ids[]=${id}`).join('&')],
  ['repeated ids=', (ids) => ids.map((id) => `ids=${id}`).join('&')],
  ['comma-separated ids=', (ids) => `ids=${ids.join(',')}`],
];

/** GET /api/v1/<method> as `who`, with `query`. */
export function rcGet(t: TestApp, method: string, who: SeededUser, query: Record<string, string> | string = {}): request.Test {
  const req = request(t.app).get(`/api/v1/${method}`).set(who.headers);
  return typeof query === 'string' ? req.query(query) : req.query(query);
}

/** A refusal as Rocket.Chat answers it: `status`, clean JSON, and exactly `body`. */
export function expectRocketChatError(res: request.Response, status: number, body: object): void {
  expect(res.status).toBe(status);
  expectCleanJsonError(res);
  expect(res.body).toEqual(body);
}

/** users.getStatus / users.getPresence for a user nobody is. */
export const INVALID_USER = {
  success: false,
  error: 'The required "userId" or "username" param provided does not match any users [error-invalid-user]',
  errorType: 'error-invalid-user',
};

/** A query parameter given as an operator object or an array. */
export function notASingleString(param: string): object {
  return { success: false, error: `The parameter "${param}" must be a single string [invalid-params]`, errorType: 'invalid-params' };
}

/** GET users.presence with a query given as an object or as a raw query string. */
export function getPresenceList(t: TestApp, who: SeededUser, query: Record<string, string> | string = {}): request.Test {
  const req = request(t.app).get('/api/v1/users.presence').set(who.headers);
  return typeof query === 'string' ? req.query(query) : req.query(query);
}

/** users.presence answered 200; its body. */
export async function presenceList(t: TestApp, who: SeededUser, query: Record<string, string> | string = {}): Promise<PresenceBody> {
  const res = await getPresenceList(t, who, query);
  expect(res.status).toBe(200);
  expectRocketChatJson(res);
  return res.body as PresenceBody;
}

/** The ids in a presence answer, sorted, for order-free comparison. */
export function idsOf(body: PresenceBody): string[] {
  return body.users.map((user) => user._id).sort();
}

export function statusById(body: PresenceBody): Record<string, string> {
  return Object.fromEntries(body.users.map((user) => [user._id, user.status]));
}

export function sortedIds(...users: SeededUser[]): string[] {
  return users.map((user) => user.user.id).sort();
}

/** The view users.presence must give of a seeded user with no status text and no avatar. */
export function plainView(who: SeededUser, status: string): PresenceUserView {
  return { _id: who.user.id, username: who.user.username, name: who.user.name, status, utcOffset: who.user.utcOffset };
}

/** How late a held write may land, as the store tells its readers (MongoDB's default: DELTA_OVERLAP_SECONDS). */
const HELD_WRITE_WINDOW_MS = 10_000;

/**
 * A store kind whose presence writes can be held: `holdNextWrite()` makes the next `writePresence` wait (after
 * the service stamped it) until released, so a test can read while a change is stamped but not yet committed.
 */
export function withHeldWrites(kind: StoreKind): { kind: StoreKind; holdNextWrite(): { entered: Promise<void>; release(): void } } {
  let pending: { enter(): void; released: Promise<void> } | undefined;
  const holdNextWrite = () => {
    let enter!: () => void;
    let release!: () => void;
    const entered = new Promise<void>((resolve) => {
      enter = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    pending = { enter, released };
    return { entered, release };
  };
  const held: StoreKind = {
    name: kind.name,
    async create() {
      const store = await kind.create();
      return new Proxy(store, {
        get(target, property) {
          // Its writes land late, as MongoDB's may: readers must look back as they do for MongoDB.
          if (property === 'lateWriteWindowMs') return Math.max(target.lateWriteWindowMs, HELD_WRITE_WINDOW_MS);
          if (property === 'writePresence') {
            return async (...args: Parameters<typeof target.writePresence>) => {
              const hold = pending;
              pending = undefined;
              if (hold !== undefined) {
                hold.enter();
                await hold.released;
              }
              return target.writePresence(...args);
            };
          }
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
  };
  return { kind: held, holdNextWrite };
}
