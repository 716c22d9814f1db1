import { effectiveStatus, hasPresenceExpired, presenceEndMs } from './status';
import { presenceTextOf, type PnutPresenceFields } from './pnut';
import { type RocketChatPresenceFields, rocketChatFieldsOf, rocketChatPresenceOf } from './rocketChatPresence';
import type { RocketChatChangeRecord, UserRecord } from '../ports/records';
import { withFields } from '../../utils';

/** The names every presence answer shows beside the status; absent where only the presence fields are at hand. */
interface ShownNames {
  username?: string;
  name?: string;
}

/**
 * Whether a write changes what any client can see at `at`: the status, the status text, the pnut string, or (an
 * account change) the username or name of a user shown as present.
 * A heartbeat that only pushes the expiry further is not a change: it is stored, but not recorded in the
 * change log, so a busy heartbeat does not flood every delta.
 */
export function isVisibleChange(before: PnutPresenceFields & ShownNames, after: PnutPresenceFields & ShownNames, at: Date): boolean {
  const statusBefore = effectiveStatus(before, at);
  const statusAfter = effectiveStatus(after, at);
  if (statusBefore !== statusAfter) return true;
  if (statusAfter === 'offline') return false;
  return before.statusText !== after.statusText || presenceTextOf(before) !== presenceTextOf(after)
    || before.username !== after.username || before.name !== after.name;
}

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
  const expiredAt = expiryChangeAt(user, now);
  if (expiredAt === null) return changedAt;
  return changedAt === null ? expiredAt : Math.max(changedAt, expiredAt);
}

/**
 * When this user's presence ran out, if that has happened by `now` and clients saw it (ms since the epoch), else
 * null: an expiry changes what clients see only for a presence of this service's that was not offline.
 */
export function expiryChangeAt(user: RocketChatPresenceFields, now: Date): number | null {
  if (user.status === 'offline' || !hasPresenceExpired(user, now)) return null;
  return presenceEndMs(user);
}

/**
 * The user's last visible change (lastVisibleChangeAt) when it is in the changes since `since` (inclusive: a change
 * stamped at `since` is after it), else null. The one place "changed since" is decided: reads of changes and the
 * feed both ask it.
 */
export function changeSince(user: ChangeFields, since: Date, now: Date): number | null {
  const at = lastVisibleChangeAt(user, now);
  return at !== null && at >= since.getTime() ? at : null;
}

/** Whether a user belongs in the changes since `since` (see changeSince). */
export function changedSince(user: ChangeFields, since: Date, now: Date): boolean {
  return changeSince(user, since, now) !== null;
}

type StampFields = ChangeFields & PnutPresenceFields & ShownNames;

/**
 * The change stamp a write stores, in the same atomic write as the presence itself.
 * - A change clients can see is stamped `now`, and always later than the user's previous change, so a user's
 *   stamp names one change: two changes in one millisecond are still two.
 * - Any other write keeps the last change clients could see. When the presence has expired since, that is the
 *   expiry: "expired, then went invisible" (or sent a message-only status) still shows in a delta across both,
 *   although the write moves the expiry that the expiry index would have found.
 */
export function changeStampAfterWrite(before: StampFields, after: PnutPresenceFields & ShownNames, now: Date): Date | null {
  if (isVisibleChange(before, after, now)) return nextChangeStamp(before, now);
  const last = lastVisibleChangeAt(before, now);
  return last === null ? null : new Date(last);
}

/**
 * The stamp of a new visible change of this user (a write clients see, his removal): `now`, and always later than
 * his previous change, so a user's stamp names one change: two changes in one millisecond are still two.
 */
export function nextChangeStamp(user: ChangeFields, now: Date): Date {
  const last = lastVisibleChangeAt(user, now);
  return new Date(last === null ? now.getTime() : Math.max(now.getTime(), last + 1));
}

/**
 * pnut's `last_seen_at` after a write: the write's time when the user shows himself, unchanged while he is
 * invisible (`offline`), so his own calls never tell others he is active.
 */
export function lastSeenAfterWrite(before: { lastSeenAt: Date | null }, statusAfter: string, now: Date): Date | null {
  return statusAfter === 'offline' ? before.lastSeenAt : now;
}

/**
 * When Rocket.Chat's unrecorded write happened, as far as a stamp may say. Every reader of changes records what
 * Rocket.Chat wrote before it reads, so none can have read past a write found by its `_updatedAt` (Rocket.Chat 7):
 * that is its time. A user first seen by the comparison of present users, never recorded, is in the state Rocket.Chat
 * last dated. Anything else that comparison finds (Rocket.Chat 6 writes without `_updatedAt`) has no time of its own,
 * and a reader may already have read past it: it is dated when found.
 */
export function rocketChatWriteTime(user: UserRecord, foundByUpdatedAt: boolean, now: Date): Date {
  if ((foundByUpdatedAt || user.presenceSeen === undefined) && user.updatedAt !== undefined) return user.updatedAt;
  return now;
}

/**
 * How a presence Rocket.Chat wrote is recorded: its fields as now seen, and the change stamp clients find it by.
 * What clients were told before is the presence as last recorded, under its expiry (nothing, for a user never
 * recorded); what they see now is Rocket.Chat's status. Only a visible difference gets a new stamp: the write's
 * time (see rocketChatWriteTime), and always after the user's previous change.
 */
export function rocketChatChangeRecord(user: UserRecord, writtenAt: Date): RocketChatChangeRecord {
  const seen = rocketChatPresenceOf(user);
  const recorded = user.presenceSeen;
  const before = recorded === undefined
    ? withFields(user, { status: 'offline', statusText: '', presenceText: null, presenceExpiresAt: null })
    : withFields(user, rocketChatFieldsOf(recorded));
  const after = withFields(user, { presenceExpiresAt: null, presenceText: null, presenceSeen: seen });
  return { presenceChangedAt: changeStampAfterWrite(before, after, writtenAt), presenceSeen: seen };
}

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
    const endMs = presenceEndMs(user);
    if (endMs !== null && endMs < validUntil) validUntil = endMs;
  }
  return validUntil;
}
