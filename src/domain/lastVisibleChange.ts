import { isRocketChatPresence, type RocketChatPresenceFields } from './rocketChatPresence';

export interface ChangeFields extends RocketChatPresenceFields {
  presenceChangedAt: Date | null;
}

/**
 * When what clients see of this user last changed, as of `now` (ms since the epoch; null if never): the last
 * recorded visible change, or the moment this service's presence expired if that has happened since. An expiry is a
 * change like any other, at the moment it happened, and no background job has to record it.
 */
export function lastVisibleChangeAt(user: ChangeFields, now: Date): number | null {
  const changedAt = user.presenceChangedAt?.getTime() ?? null;
  if (user.status === 'offline' || isRocketChatPresence(user)) return changedAt;
  const expiresAt = (user.presenceExpiresAt as Date).getTime();
  if (expiresAt > now.getTime()) return changedAt;
  return changedAt === null ? expiresAt : Math.max(changedAt, expiresAt);
}

/** Whether a user belongs in the changes since `since` (inclusive: a change stamped at `since` is after it). */
export function changedSince(user: ChangeFields, since: Date, now: Date): boolean {
  const at = lastVisibleChangeAt(user, now);
  return at !== null && at >= since.getTime();
}
