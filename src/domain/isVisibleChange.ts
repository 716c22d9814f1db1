import { effectiveStatus } from './effectiveStatus';
import { presenceTextOf, type PnutPresenceFields } from './pnutPresence';

/**
 * Whether a write changes what any client can see at `at`: the status, the status text or the pnut string.
 * A heartbeat that only pushes the expiry further is not a change: it is stored, but not recorded in the
 * change log, so a busy heartbeat does not flood every delta.
 */
export function isVisibleChange(before: PnutPresenceFields, after: PnutPresenceFields, at: Date): boolean {
  const statusBefore = effectiveStatus(before, at);
  const statusAfter = effectiveStatus(after, at);
  if (statusBefore !== statusAfter) return true;
  if (statusAfter === 'offline') return false;
  return before.statusText !== after.statusText || presenceTextOf(before) !== presenceTextOf(after);
}
