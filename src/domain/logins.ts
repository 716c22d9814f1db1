import { createHash } from 'node:crypto';
import type { LoginToken } from './userRecord';

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
