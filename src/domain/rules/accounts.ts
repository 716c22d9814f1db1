import { createHash, randomBytes, randomInt } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { LoginToken, StreamTicket, UserRecord } from '../ports/records';

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

export function isAdmin(identity: Identity): boolean {
  return identity.roles.includes('admin');
}

/** Rocket.Chat stores login tokens as base64(sha256(token)) and never in clear. */
export function hashLoginToken(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}

/** Rocket.Chat's clients hash the password with SHA-256 before bcrypt sees it; stored hashes follow suit. */
function preHashPassword(password: string): string {
  return createHash('sha256').update(password).digest('hex');
}

const BCRYPT_ROUNDS = 10;

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(preHashPassword(password), BCRYPT_ROUNDS);
}

/** A well-formed hash that matches nothing, so an unknown user costs the same bcrypt time as a wrong password. */
const UNMATCHABLE_HASH = '$2b$10$' + 'A'.repeat(53);

export function verifyPassword(password: string, storedHash: string | undefined): Promise<boolean> {
  return verifyPasswordDigest(preHashPassword(password), storedHash);
}

/** Checks a password's SHA-256 hex digest, which a client may send in the password's place (Meteor's hashed password). */
export function verifyPasswordDigest(digest: string, storedHash: string | undefined): Promise<boolean> {
  return bcrypt.compare(digest, storedHash ?? UNMATCHABLE_HASH);
}

/** 43 URL-safe characters, like Rocket.Chat's Random.secret(). */
export function newLoginToken(): string {
  return randomBytes(32).toString('base64url');
}

const ID_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz';

/** 17 characters from Meteor's alphabet, so ids look like Rocket.Chat's own. */
export function newUserId(): string {
  let id = '';
  for (let i = 0; i < 17; i += 1) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

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
  const nowMs = now.getTime();
  const pruned: string[] = [];
  const kept: LoginToken[] = [];
  for (const token of tokens) {
    if (token.type === 'personalAccessToken') continue;
    if (tokenExpiresAtMs(token, expirationDays) < nowMs) pruned.push(token.hashedToken);
    else kept.push(token);
  }
  kept.sort((a, b) => new Date(a.when).getTime() - new Date(b.when).getTime());
  for (const token of kept.slice(0, Math.max(0, kept.length - (MAX_LOGIN_TOKENS - 1)))) pruned.push(token.hashedToken);
  return pruned;
}

/**
 * The keys failed logins are counted under, the same on every instance: the client's address, and the account
 * tried (its id, so every spelling of a username and its email count together; the name itself, lower-cased, for
 * an unknown one, so the limit does not tell which accounts exist). Hashed: fixed size, and no address or name is
 * kept in clear.
 */
export function loginAttemptKey(kind: 'address' | 'account' | 'login', value: string): string {
  const normalised = kind === 'login' ? value.toLowerCase() : value;
  return `${kind}:${createHash('sha256').update(normalised).digest('base64url').slice(0, 32)}`;
}

/** Whether a stream ticket can still be used: until it expires (and once: the store hands it out once). */
export function isTicketCurrent(ticket: StreamTicket, now: Date): boolean {
  return ticket.expiresAt.getTime() > now.getTime();
}

/** Whether a stored login token authenticates at `now`. */
export function isTokenLive(token: LoginToken, now: Date, expirationDays: number): boolean {
  return now.getTime() <= tokenExpiresAtMs(token, expirationDays);
}
