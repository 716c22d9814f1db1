import { isRocketChatPresence } from './rocketChatPresence';
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
 * A snapshot stays right until the feed reads a change or the first listed presence of this service expires (ms
 * since the epoch; Infinity when none will).
 */
export function snapshotValidUntil(users: readonly UserRecord[]): number {
  let validUntil = Number.POSITIVE_INFINITY;
  for (const user of users) {
    if (isRocketChatPresence(user)) continue;
    const expiresAtMs = (user.presenceExpiresAt as Date).getTime();
    if (expiresAtMs < validUntil) validUntil = expiresAtMs;
  }
  return validUntil;
}
