import { isIPv4, isIPv6 } from 'node:net';
import type { LoginToken, StreamTicket, UserRecord } from '../ports/records';
import { foldedLogin } from './logins';

/** Who made a request, as established by authentication. */
export interface Identity {
  userId: string;
  username: string;
  roles: readonly string[];
  /** The hash of the token the request used, so logout can revoke exactly that token. */
  hashedToken: string;
}

/** A new account's presence: offline, never set, never changed. */
export const NEW_USER_PRESENCE = {
  status: 'offline',
  statusText: '',
  presenceText: null,
  presenceExpiresAt: null,
  lastSeenAt: null,
  presenceChangedAt: null,
  presenceRevision: 0,
} as const satisfies Partial<UserRecord>;

/** The one role this service gives meaning to: `admin` (every permission Rocket.Chat grants to admins). */
export function hasAdminRole(roles: readonly string[]): boolean {
  return roles.includes('admin');
}

export function isAdmin(identity: Identity): boolean {
  return hasAdminRole(identity.roles);
}

/** Whether a user counts among the admins who can log in: active, with the admin role. */
export function isActiveAdmin(user: Pick<UserRecord, 'roles' | 'active'>): boolean {
  return user.active && hasAdminRole(user.roles);
}

/** bcrypt's cost for new hashes, as Rocket.Chat's (`$2b$10$`). */
export const BCRYPT_ROUNDS = 10;

/** A well-formed hash that matches nothing, so an unknown user costs the same bcrypt time as a wrong password. */
export const UNMATCHABLE_HASH = '$2b$10$' + 'A'.repeat(53);

const DAY_MS = 86_400_000;

/** When a login token made at `when` stops authenticating (ms since the epoch), as Rocket.Chat's login expiration. */
export function loginTokenExpiresAtMs(when: Date, expirationDays: number): number {
  return when.getTime() + expirationDays * DAY_MS;
}

/**
 * When this stored token stops authenticating (ms since the epoch): a login token its LOGIN_EXPIRATION_DAYS after
 * its login; a Rocket.Chat personal access token never, as in Rocket.Chat. A login token without a valid `when`
 * has already expired: a token nobody can date is not trusted.
 */
export function tokenExpiresAtMs(token: LoginToken, expirationDays: number): number {
  if (token.type === 'personalAccessToken') return Number.POSITIVE_INFINITY;
  const expiresAt = loginTokenExpiresAtMs(new Date(token.when), expirationDays);
  return Number.isNaN(expiresAt) ? Number.NEGATIVE_INFINITY : expiresAt;
}

/**
 * At most this many login tokens per user: a login beyond it removes the oldest. Each is about 100 bytes in the
 * user's document; 50 covers every browser, phone and script a person keeps logged in for the 90 days a token lives,
 * while a script that logs in on every run can no longer grow the document (10 000 logins made it 970 kB).
 * Rocket.Chat's personal access tokens are never removed here: they are made by hand and live until revoked.
 */
export const MAX_LOGIN_TOKENS = 50;

/**
 * The hashes of the tokens a login removes before adding its own: every expired one, and the oldest ones beyond
 * MAX_LOGIN_TOKENS less one (room for the new token). Personal access tokens are kept.
 */
export function loginTokensToPrune(tokens: readonly LoginToken[], now: Date, expirationDays: number): string[] {
  const pruned: string[] = [];
  const kept: LoginToken[] = [];
  for (const token of tokens) {
    if (token.type === 'personalAccessToken') continue;
    if (!isTokenLive(token, now, expirationDays)) pruned.push(token.hashedToken);
    else kept.push(token);
  }
  kept.sort((a, b) => new Date(a.when).getTime() - new Date(b.when).getTime());
  for (const token of kept.slice(0, Math.max(0, kept.length - (MAX_LOGIN_TOKENS - 1)))) pruned.push(token.hashedToken);
  return pruned;
}

/** The eight 16-bit groups of an IPv6 address (valid per isIPv6, without a zone), a dotted IPv4 tail included. */
function ipv6Groups(address: string): number[] {
  let text = address;
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail !== null) {
    const [a, b, c, d] = tail.slice(1).map(Number);
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = text.split('::');
  const parse = (part: string | undefined) => (part === undefined || part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const before = parse(head);
  const after = parse(rest);
  return rest === undefined ? before : [...before, ...Array<number>(8 - before.length - after.length).fill(0), ...after];
}

/**
 * The address without the port or brackets a proxy may write around it in X-Forwarded-For (`1.2.3.4:5678`,
 * `[2001:db8::1]:443`, `[2001:db8::1]`); counted as written, each connection would get a budget of its own.
 */
function withoutPort(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed !== null) return bracketed[1];
  const ipv4WithPort = /^([^:]+):\d+$/.exec(address);
  if (ipv4WithPort !== null && isIPv4(ipv4WithPort[1])) return ipv4WithPort[1];
  return address;
}

/**
 * What the per-address login limit counts a client address as: an IPv4 address as itself; an IPv4-mapped IPv6
 * address (`::ffff:a.b.c.d`, how a dual-stack socket reports an IPv4 client) as that IPv4 address; any other
 * IPv6 address as its /64 (`2001:db8:1:2::/64`), the block one subscriber gets, so a single /64 is one budget and
 * not 2^64 of them; each with any port or brackets a proxy wrote around it left out. Anything else (no address)
 * as it is.
 */
export function limitedAddressOf(address: string): string {
  const withoutZone = withoutPort(address.trim()).replace(/%.*$/, '');
  if (isIPv4(withoutZone)) return withoutZone;
  if (!isIPv6(withoutZone)) return address;
  const groups = ipv6Groups(withoutZone.toLowerCase());
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 255, groups[7] >> 8, groups[7] & 255].join('.');
  }
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`;
}

/**
 * What the account limit counts a login under: the login field as sent, a username or an e-mail address, never
 * the account behind it. Were a username and its user's e-mail counted together, guessing at the username until
 * the limit bites would tell which e-mail address answers 429 and so belongs to that user. An e-mail address
 * counts as itself (lower-cased, as it is found); a username as the user's own, lower-cased, so that every
 * spelling the store finds it by (MongoDB's case-insensitive collation folds more than lower-casing does) shares
 * one budget; an unknown name as itself, lower-cased. An account thus has one budget for its username and one
 * for each of its e-mail addresses.
 */
export function accountLimitNameOf(login: string, user: Pick<UserRecord, 'username' | 'emails'> | null): string {
  const sent = foldedLogin(login);
  if (user === null || (user.emails ?? []).some((email) => foldedLogin(email.address) === sent)) return sent;
  return foldedLogin(user.username);
}

/**
 * What failed logins are counted under, the same on every instance: the client's address (as limitedAddressOf
 * counts it), or the name tried (as accountLimitNameOf counts it, lower-cased). Stored hashed (loginAttemptKey).
 */
export function loginAttemptSubject(kind: 'address' | 'login', value: string): string {
  return kind === 'login' ? foldedLogin(value) : limitedAddressOf(value);
}

/** Whether a stream ticket can still be used: until it expires (and once: the store hands it out once). */
export function isTicketCurrent(ticket: StreamTicket, now: Date): boolean {
  return ticket.expiresAt.getTime() > now.getTime();
}

/** Whether a stored login token is still within its lifetime at `now` (see tokenAuthenticatesUntil for the whole rule). */
export function isTokenLive(token: LoginToken, now: Date, expirationDays: number): boolean {
  return now.getTime() <= tokenExpiresAtMs(token, expirationDays);
}

/**
 * The one rule of a token authenticating: the user holds the token with this hash, it has not expired at `now`, and
 * the user is active. Returns when it stops authenticating (ms since the epoch), or null when it does not now. The
 * check of open streams leans on it having these three parts: it keeps the returned time, and then asks the store
 * only whether an active user still holds the token (AccountService.tokensStillHeld).
 */
export function tokenAuthenticatesUntil(user: Pick<UserRecord, 'active' | 'credentials'>, hashedToken: string, now: Date, expirationDays: number): number | null {
  if (!user.active) return null;
  const token = user.credentials?.loginTokens?.find((loginToken) => loginToken.hashedToken === hashedToken);
  if (token === undefined || !isTokenLive(token, now, expirationDays)) return null;
  return tokenExpiresAtMs(token, expirationDays);
}
