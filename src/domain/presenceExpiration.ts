/** pnut lets a client choose when its presence ends, but not in the past and not more than 7 days ahead. */
export const MAX_EXPIRATION_AHEAD_MS = 7 * 24 * 60 * 60 * 1000;

export type ExpirationCheck = { ok: true; expiresAt: Date } | { ok: false; reason: string };

/** `expiration` is Unix seconds as sent by the client; undefined means "the default time to live from now". */
export function resolveExpiration(expiration: string | undefined, now: Date, defaultTtlMs: number): ExpirationCheck {
  if (expiration === undefined) return { ok: true, expiresAt: new Date(now.getTime() + defaultTtlMs) };
  if (!/^\d{1,12}$/.test(expiration)) return { ok: false, reason: 'must be an integer Unix time in seconds' };
  const expiresAt = new Date(Number(expiration) * 1000);
  if (expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'must be in the future' };
  if (expiresAt.getTime() - now.getTime() > MAX_EXPIRATION_AHEAD_MS) return { ok: false, reason: 'must be at most 7 days ahead' };
  return { ok: true, expiresAt };
}
