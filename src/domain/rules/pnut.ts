import type { Status } from '../ports/records';
import { effectiveStatus, isStatus, normaliseStatusText, type PresenceFields } from './status';
import { codePointLength } from '../../utils';
import { InvalidParamError } from '../errors';
import { isRocketChatPresence } from './rocketChatPresence';

export const PNUT_PRESENCE_MAX_CODE_POINTS = 100;
export const PNUT_PRESENCE_TOO_LONG = `must be at most ${PNUT_PRESENCE_MAX_CODE_POINTS} characters long`;

/** pnut's limit: a presence string of up to 100 Unicode code points (an emoji is one, not two). */
export function isPnutPresenceString(value: string): boolean {
  return codePointLength(value) <= PNUT_PRESENCE_MAX_CODE_POINTS;
}

/** What a pnut presence string asks for: to end the presence, or to set a status with an optional text. */
export type PresenceRequest =
  | { kind: 'clear' }
  | { kind: 'set'; status: Exclude<Status, 'offline'>; statusText: string; presenceText: string };

/**
 * pnut's rules: missing, empty or `1` is `online`; `0` or `offline` deletes the presence; the status words map to
 * Rocket.Chat statuses; any other string is `online` with that string as status text. `presenceText` keeps the
 * exact string so pnut reads back what was set.
 * @throws InvalidParamError naming `presence` for a string past pnut's limit
 */
export function parsePnutPresence(value: string | undefined): PresenceRequest {
  if (value !== undefined && !isPnutPresenceString(value)) throw new InvalidParamError('presence', PNUT_PRESENCE_TOO_LONG);
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

/**
 * When the status a pnut presence sets ends: a status other than online set with an `expiration` ends then; the
 * same presence renewed (isSamePresenceRenewed: `update_presence`, which carries no expiration, of the status
 * already chosen) keeps that status's end (undefined: left as it is), as it keeps the declaration's
 * (declarationEnd); any other has none (null).
 */
export function pnutStatusEnd(status: Status, expiration: Date | undefined, samePresenceRenewed: boolean): Date | null | undefined {
  if (status === 'online') return null;
  if (expiration !== undefined) return expiration;
  return samePresenceRenewed ? undefined : null;
}

/** pnut lets a client choose when its presence ends, but not in the past and not more than 7 days ahead. */
export const MAX_EXPIRATION_AHEAD_MS = 7 * 24 * 60 * 60 * 1000;

export type ExpirationCheck = { ok: true; expiresAt: Date } | { ok: false; reason: string };

/** `expiration` is Unix seconds as sent by the client; undefined means "the default time to live from now". */
export function resolveExpiration(expiration: string | undefined, now: Date, defaultTtlMs: number): ExpirationCheck {
  if (expiration === undefined) return { ok: true, expiresAt: new Date(now.getTime() + defaultTtlMs) };
  if (!/^\d{1,12}$/.test(expiration)) return { ok: false, reason: 'must be an integer Unix time in seconds' };
  const expiresAt = new Date(Number(expiration) * 1000);
  if (expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'must be in the future' };
  if (expiresAt.getTime() - now.getTime() > MAX_EXPIRATION_AHEAD_MS) return { ok: false, reason: 'must be at most 7 days ahead' };
  return { ok: true, expiresAt };
}
