import type { UserRecord } from './userRecord';

/**
 * The users present at `takenAt`. Immutable: while one is current, everything rendered from it (a JSON body, its
 * ETag) can be cached against the object itself.
 */
export interface PresentSnapshot {
  readonly users: readonly UserRecord[];
  readonly takenAt: Date;
  /** The feed position read just before: every change up to it is in `users`, every later one comes after it. */
  readonly position: number;
}

/**
 * A snapshot stays right until this instance writes a change, the first listed presence expires, or `maxAgeMs`
 * passes (the bound on how long a change made through another instance can go unseen).
 */
export function snapshotValidUntil(users: readonly UserRecord[], takenAtMs: number, maxAgeMs: number): number {
  let validUntil = takenAtMs + maxAgeMs;
  for (const user of users) {
    const expiresAtMs = (user.presenceExpiresAt as Date).getTime();
    if (expiresAtMs < validUntil) validUntil = expiresAtMs;
  }
  return validUntil;
}
