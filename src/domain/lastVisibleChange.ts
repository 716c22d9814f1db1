import type { Status } from './status';

export interface ChangeFields {
  status: Status;
  presenceExpiresAt: Date | null;
  presenceChangedAt: Date | null;
}

/**
 * When what clients see of this user last changed, as of `now` (ms since the epoch; null if never): the last
 * recorded visible change, or the moment the presence expired if that has happened since. An expiry is a change
 * like any other, at the moment it happened, and no background job has to record it.
 */
export function lastVisibleChangeAt(user: ChangeFields, now: Date): number | null {
  const changedAt = user.presenceChangedAt?.getTime() ?? null;
  const expiresAt = user.presenceExpiresAt?.getTime();
  if (user.status === 'offline' || expiresAt === undefined || expiresAt > now.getTime()) return changedAt;
  return changedAt === null ? expiresAt : Math.max(changedAt, expiresAt);
}

/** Whether a user belongs in a delta since `since`: a visible change after it. */
export function changedSince(user: ChangeFields, since: Date, now: Date): boolean {
  const at = lastVisibleChangeAt(user, now);
  return at !== null && at > since.getTime();
}
