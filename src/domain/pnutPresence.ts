import { normaliseStatusText } from './normaliseStatusText';
import { isStatus, type Status } from './status';
import { effectiveStatus, type PresenceFields } from './effectiveStatus';
import { isRocketChatPresence } from './rocketChatPresence';

export const PNUT_PRESENCE_MAX_CODE_POINTS = 100;

/** What a pnut presence string asks for: to end the presence, or to set a status with an optional text. */
export type PresenceRequest =
  | { kind: 'clear' }
  | { kind: 'set'; status: Exclude<Status, 'offline'>; statusText: string; presenceText: string };

/**
 * pnut's rules: missing, empty or `1` is `online`; `0` or `offline` deletes the presence; the status words map to
 * Rocket.Chat statuses; any other string is `online` with that string as status text. `presenceText` keeps the
 * exact string so pnut reads back what was set.
 */
export function parsePnutPresence(value: string | undefined): PresenceRequest {
  if (value === undefined || value === '' || value === '1') return { kind: 'set', status: 'online', statusText: '', presenceText: 'online' };
  if (value === '0' || value === 'offline') return { kind: 'clear' };
  if (isStatus(value)) return { kind: 'set', status: value as Exclude<Status, 'offline'>, statusText: '', presenceText: value };
  return { kind: 'set', status: 'online', statusText: normaliseStatusText(value), presenceText: value };
}

export interface PnutPresenceFields extends PresenceFields {
  statusText: string;
  presenceText: string | null;
}

/** The exact pnut string a user holds: only a presence set through this service has one. */
export function presenceTextOf(user: PnutPresenceFields): string | null {
  return isRocketChatPresence(user) ? null : user.presenceText;
}

/** The string pnut shows for a user: the exact string set through pnut, else the Rocket.Chat status text or status. */
export function pnutPresenceOf(user: PnutPresenceFields, now: Date): string {
  const status = effectiveStatus(user, now);
  if (status === 'offline') return 'offline';
  const presenceText = presenceTextOf(user);
  if (presenceText !== null) return presenceText;
  if (status === 'online' && user.statusText !== '') return user.statusText;
  return status;
}
