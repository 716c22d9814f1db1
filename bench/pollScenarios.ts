/** The poll scenarios of `npm run bench`: what each one requests, what its answer must look like, and its target. */
import type { BenchUser } from './protocol';
import { settings } from './settings';

export interface RequestSpec {
  method: 'GET';
  path: string;
  headers: Record<string, string>;
}

export type Target = { kind: 'express'; ratio: number } | { kind: 'relative'; ratio: number; to: string };

export interface Scenario {
  name: string;
  title: string;
  users: number;
  /** How many users' tokens the load uses, spread over the connections. */
  tokens: number;
  /** A background change every this many ms (0: none), so a delta keeps about 10 entries. */
  changeEveryMs: number;
  /** The request depends on the time (`from`), so the load generator rebuilds it every REBUILD_MS. */
  timeDependent: boolean;
  conditional: boolean;
  expectStatus: number;
  /** `users` are the tokens' owners; `ids` the seeded user ids a request may name. */
  request(user: BenchUser, nowMs: number, etag: string | undefined, ids: readonly string[]): RequestSpec;
  /** What the probe's answer must look like, and a line saying what it held. */
  check(status: number, body: string): string;
  target: Target;
}

export const REBUILD_MS = 250;
const DELTA_AGE_MS = 5000;
/** With the 10 s delta overlap a 5 s `from` reads 15 s of changes: one per 1.5 s keeps about 10 in the answer. */
const CHANGE_EVERY_MS = 1500;
/** What Rocket.Chat's web and mobile clients send: the ids of the users on screen. */
const POLLED_IDS = 50;
/** The small organisation of the small full list: 400 users, every other one online. */
const SMALL_USERS = 400;

const rocketChatAuth = (user: BenchUser) => ({ 'X-User-Id': user.userId, 'X-Auth-Token': user.token });
const bearer = (user: BenchUser) => ({ Authorization: `Bearer ${user.token}` });

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

function deltaScenario(name: string, users: number, target: Target): Scenario {
  return {
    name,
    title: `delta poll, from = 5 s ago, ${users.toLocaleString('en')} users`,
    users,
    tokens: 200,
    changeEveryMs: CHANGE_EVERY_MS,
    timeDependent: true,
    conditional: false,
    expectStatus: 200,
    request: (user, nowMs) => ({
      method: 'GET',
      path: `/api/v1/users.presence?from=${new Date(nowMs - DELTA_AGE_MS).toISOString()}`,
      headers: rocketChatAuth(user),
    }),
    check: (status, body) => {
      const answer = JSON.parse(body) as { full: boolean; users: unknown[] };
      expect(status === 200 && answer.full === false, `expected a delta, got ${status} full=${answer.full}`);
      return `${answer.users.length} users in the delta`;
    },
    target,
  };
}

function fullListScenario(name: string, users: number, conditional: boolean, target: Target): Scenario {
  return {
    name,
    title: conditional ? 'full list, If-None-Match → 304' : `full list, ${(users / 2).toLocaleString('en')} online`,
    users,
    tokens: 200,
    changeEveryMs: 0,
    timeDependent: false,
    conditional,
    expectStatus: conditional ? 304 : 200,
    request: (user, _nowMs, etag) => ({
      method: 'GET',
      path: '/api/v1/users.presence',
      // The probe asks once without a tag, to get the list and its tag.
      headers: conditional && etag !== undefined ? { ...rocketChatAuth(user), 'If-None-Match': etag } : rocketChatAuth(user),
    }),
    check: (status, body) => {
      const answer = JSON.parse(body) as { full: boolean; users: unknown[] };
      expect(status === 200 && answer.full === true, `expected the full list, got ${status} full=${answer.full}`);
      return `${answer.users.length} users in the list`;
    },
    target,
  };
}

export const POLL_SCENARIOS: Scenario[] = [
  deltaScenario('1', settings.users, { kind: 'express', ratio: 0.55 }),
  fullListScenario('2', settings.users, false, { kind: 'express', ratio: 0.9 }),
  fullListScenario('3', settings.users, true, { kind: 'express', ratio: 0.55 }),
  {
    name: '4',
    title: 'update_presence heartbeats, many users',
    users: settings.users,
    tokens: Math.min(settings.users, 5000),
    changeEveryMs: 0,
    timeDependent: false,
    conditional: false,
    expectStatus: 200,
    request: (user) => ({ method: 'GET', path: '/v0/users/me/presence?update_presence=1', headers: bearer(user) }),
    check: (status, body) => {
      const answer = JSON.parse(body) as { meta: { updated_presence?: boolean }; data: { presence: string } };
      expect(status === 200 && answer.meta.updated_presence === true, `expected updated_presence, got ${status} ${body}`);
      return `presence "${answer.data.presence}", updated_presence true`;
    },
    target: { kind: 'express', ratio: 0.45 },
  },
  deltaScenario('5', settings.largeUsers, { kind: 'relative', ratio: 0.9, to: '1' }),
  {
    name: '6',
    title: `GET /v0/presence, ${(settings.users / 2).toLocaleString('en')} present`,
    users: settings.users,
    tokens: 200,
    changeEveryMs: 0,
    timeDependent: false,
    conditional: false,
    expectStatus: 200,
    request: (user) => ({ method: 'GET', path: '/v0/presence', headers: bearer(user) }),
    check: (status, body) => {
      const answer = JSON.parse(body) as { meta: { code: number }; data: unknown[] };
      expect(status === 200 && answer.meta.code === 200, `expected 200, got ${status}`);
      return `${answer.data.length} users in data`;
    },
    target: { kind: 'express', ratio: 0.8 },
  },
  {
    name: 'ids',
    title: `users.presence?ids= (${POLLED_IDS} ids), ${settings.users.toLocaleString('en')} users`,
    users: settings.users,
    tokens: 200,
    changeEveryMs: 0,
    timeDependent: false,
    conditional: false,
    expectStatus: 200,
    // Each user asks for its own 50 neighbours, every other one online, in the `ids[]=` form Rocket.Chat's web client sends.
    request: (user, _nowMs, _etag, ids) => {
      const first = Math.max(0, ids.indexOf(user.userId));
      const mine = Array.from({ length: POLLED_IDS }, (_, k) => ids[(first + 1 + k) % ids.length]);
      return { method: 'GET', path: `/api/v1/users.presence?${mine.map((id) => `ids[]=${id}`).join('&')}`, headers: rocketChatAuth(user) };
    },
    check: (status, body) => {
      const answer = JSON.parse(body) as { full: boolean; users: unknown[] };
      expect(status === 200 && answer.full === false && answer.users.length > 0, `expected the listed users, got ${status} ${body.slice(0, 200)}`);
      return `${answer.users.length} of ${POLLED_IDS} ids present`;
    },
    target: { kind: 'express', ratio: 0.55 },
  },
  fullListScenario('small', SMALL_USERS, false, { kind: 'express', ratio: 0.55 }),
];
