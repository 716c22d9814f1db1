const DAY_MS = 86_400_000;

/** When a login token made at `when` stops authenticating (ms since the epoch), as Rocket.Chat's login expiration. */
export function loginTokenExpiresAtMs(when: Date, expirationDays: number): number {
  return when.getTime() + expirationDays * DAY_MS;
}

/** A token without a valid `when` counts as expired: a token nobody can date is not trusted. */
export function isLoginTokenExpired(when: Date, now: Date, expirationDays: number): boolean {
  return !(now.getTime() <= loginTokenExpiresAtMs(when, expirationDays));
}

/** Tokens made before this instant have expired by `now`; they are pruned at the user's next login. */
export function loginTokensExpiredBefore(now: Date, expirationDays: number): Date {
  return new Date(now.getTime() - expirationDays * DAY_MS);
}
