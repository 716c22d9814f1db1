import type { RemovedUser, UserRecord } from '../ports/records';
import { nextChangeStamp } from './changes';
import { isActiveAdmin } from './accounts';
import { foldedLogin } from './logins';

/** Rocket.Chat's users.list paging: 50 a page unless `count` says otherwise, never more than 100. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

/**
 * The page users.list reads, as Rocket.Chat's getPaginationItems decides it: `count` absent or 0 is the default,
 * above the maximum is the maximum (Rocket.Chat's count=0, "all", is not offered: an answer stays bounded).
 */
export function pageOf(offset: number | undefined, count: number | undefined): { offset: number; count: number } {
  const size = count === undefined || count === 0 ? DEFAULT_PAGE_SIZE : Math.min(count, MAX_PAGE_SIZE);
  return { offset: offset ?? 0, count: size };
}

/**
 * Whether taking `user` out of the active admins (deactivating, demoting or removing him) would leave none, when
 * `activeAdmins` are counted now: Rocket.Chat refuses that, and so does this service, so an admin can always log in.
 */
export function isLastActiveAdmin(user: Pick<UserRecord, 'roles' | 'active'>, activeAdmins: number): boolean {
  return isActiveAdmin(user) && activeAdmins <= 1;
}

/**
 * The change stamp of a user's removal: now, and always after his last visible change, so the removal is a change
 * of its own that every reader of changes since then finds.
 */
export function removalStamp(user: UserRecord, now: Date): Date {
  return nextChangeStamp(user, now);
}

/**
 * How a removed user reaches deltas and streams: one last change to `offline`, stamped with his removal, with the
 * name and username clients last saw; then he is in no answer again. A Rocket.Chat client drops an offline user from
 * its list, so it needs no new kind of event. Never listed as present (offline, inactive), never written.
 */
export function removedUserRecord(removed: RemovedUser): UserRecord {
  return {
    id: removed.userId,
    username: removed.username,
    name: removed.name,
    utcOffset: removed.utcOffset,
    active: false,
    roles: [],
    status: 'offline',
    statusText: '',
    presenceText: null,
    presenceExpiresAt: null,
    lastSeenAt: null,
    presenceChangedAt: removed.removedAt,
    presenceRevision: 0,
    createdAt: removed.removedAt,
  };
}

/**
 * The users that changed, with the removed ones as their last change: a user both read and removed (MongoDB
 * remembers a removal just before it deletes the user) counts as removed.
 */
export function withRemovals(changed: readonly UserRecord[], removed: readonly RemovedUser[]): UserRecord[] {
  if (removed.length === 0) return [...changed];
  const removedIds = new Set(removed.map((each) => each.userId));
  return [...changed.filter((user) => !removedIds.has(user.id)), ...removed.map(removedUserRecord)];
}

/** How long a removal is remembered: while a delta or a resumed stream may ask for changes from before it. */
export function removalForgetAt(removedAt: Date, readableBackMs: number): Date {
  return new Date(removedAt.getTime() + readableBackMs);
}

/**
 * A user's addresses after users.update's `email` and `verified` (which comes only with an `email`), or undefined for
 * unchanged. A new address replaces them, unverified unless `verified` says otherwise; the address he has (in any
 * case) keeps its verification unless `verified` is given, as Rocket.Chat's setEmail leaves an unchanged address alone.
 */
export function emailsAfterUpdate(current: Pick<UserRecord, 'emails'>, email: string | undefined, verified: boolean | undefined): { address: string; verified: boolean }[] | undefined {
  if (email === undefined) return undefined;
  const first = current.emails?.[0];
  const same = first !== undefined && foldedLogin(first.address) === foldedLogin(email);
  return [{ address: email, verified: verified ?? (same ? first.verified : false) }];
}
