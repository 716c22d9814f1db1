import type { LoginToken } from './userRecord';

const DAY_MS = 86_400_000;

/** When a login token made at `when` stops authenticating (ms since the epoch), as Rocket.Chat's login expiration. */
export function loginTokenExpiresAtMs(when: Date, expirationDays: number): number {
  return when.getTime() + expirationDays * DAY_MS;
}

/** Tokens made before this instant have expired by `now`; they are pruned at the user's next login. */
export function loginTokensExpiredBefore(now: Date, expirationDays: number): Date {
  return new Date(now.getTime() - expirationDays * DAY_MS);
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
