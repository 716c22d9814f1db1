import { STATUSES, type Status } from '../ports/records';
import { isRocketChatPresence, type RocketChatPresenceFields } from './rocketChatPresence';

/**
 * The statuses that show a user present: all but offline. A user without an expiry of this service's reads as his
 * status when it is one of these (effectiveStatus), so the stores' finders of present users ask for exactly these.
 */
export const PRESENT_STATUSES: readonly Status[] = STATUSES.filter((status) => status !== 'offline');

export function isStatus(value: unknown): value is Status {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value);
}

/** Rocket.Chat trims status text and silently cuts it to 120 characters (UTF-16 units, as JS counts them). */
export const STATUS_TEXT_MAX_LENGTH = 120;

export function normaliseStatusText(text: string): string {
  const cut = text.trim().slice(0, STATUS_TEXT_MAX_LENGTH);
  // Never leave half of a surrogate pair (an emoji cut in two) at the end.
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

/** `active` false: a deactivated account (absent where only the presence fields are at hand: active). */
export type PresenceFields = RocketChatPresenceFields & { active?: boolean };

/**
 * The status every read reports. A presence this service wrote is the status its connections and the chosen status
 * made (presenceStatus.ts decides it, at the write) until the last connection's lease runs out, then `offline`
 * (computed at read time: nothing has to run for a lapsed user to read as offline). A presence Rocket.Chat set, or
 * with no expiry of this service's, is the status as written. A deactivated user is `offline`, whatever was written
 * (as Rocket.Chat sets a user it deactivates).
 */
export function effectiveStatus(user: PresenceFields, now: Date): Status {
  if (user.active === false || hasPresenceExpired(user, now)) return 'offline';
  return isStatus(user.status) ? user.status : 'offline';
}

/** Whether the user is shown as present at `now`: any status but `offline`, as effectiveStatus decides it. */
export function isShownPresent(user: PresenceFields, now: Date): boolean {
  return effectiveStatus(user, now) !== 'offline';
}

/**
 * When this service's presence of the user runs out (ms since the epoch); null for a presence that is Rocket.Chat's
 * to end (isRocketChatPresence), which never runs out here.
 */
export function presenceEndMs(user: RocketChatPresenceFields): number | null {
  return isRocketChatPresence(user) ? null : (user.presenceExpiresAt as Date).getTime();
}

/**
 * The one place that decides that an expired presence counts as offline: a presence of this service's has expired
 * from the millisecond its end is reached. Everything that reads presence (statuses, change stamps, snapshots)
 * asks this.
 */
export function hasPresenceExpired(user: RocketChatPresenceFields, now: Date): boolean {
  const endMs = presenceEndMs(user);
  return endMs !== null && endMs <= now.getTime();
}
