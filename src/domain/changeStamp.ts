import { isVisibleChange } from './isVisibleChange';
import { lastVisibleChangeAt, type ChangeFields } from './lastVisibleChange';
import type { PnutPresenceFields } from './pnutPresence';

type StampFields = ChangeFields & PnutPresenceFields;

/**
 * The change stamp a write stores, in the same atomic write as the presence itself.
 * - A change clients can see is stamped `now`, and always later than the user's previous change, so a user's
 *   stamp names one change: two changes in one millisecond are still two.
 * - Any other write keeps the last change clients could see. When the presence has expired since, that is the
 *   expiry: "expired, then went invisible" (or sent a message-only status) still shows in a delta across both,
 *   although the write moves the expiry that the expiry index would have found.
 */
export function changeStampAfterWrite(before: StampFields, after: PnutPresenceFields, now: Date): Date | null {
  const last = lastVisibleChangeAt(before, now);
  if (isVisibleChange(before, after, now)) return new Date(last === null ? now.getTime() : Math.max(now.getTime(), last + 1));
  return last === null ? null : new Date(last);
}

/**
 * pnut's `last_seen_at` after a write: the write's time when the user shows himself, unchanged while he is
 * invisible (`offline`), so his own calls never tell others he is active.
 */
export function lastSeenAfterWrite(before: { lastSeenAt: Date | null }, statusAfter: string, now: Date): Date | null {
  return statusAfter === 'offline' ? before.lastSeenAt : now;
}
