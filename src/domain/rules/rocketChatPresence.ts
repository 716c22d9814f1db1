import type { RocketChatPresence } from '../ports/records';
import { CONNECTION_STATES, type ConnectionState } from '../ports/connections';

/** The fields this module reads. */
export interface RocketChatPresenceFields {
  status: string;
  statusText: string;
  statusDefault?: string;
  statusConnection?: string;
  presenceExpiresAt: Date | null;
  presenceSeen?: RocketChatPresence;
}

/**
 * Rocket.Chat's optional presence fields (`statusDefault`, `statusConnection`) as recorded and compared: a field a
 * document does not have (undefined; null where a store reads it back so) is null. The one place that mapping is
 * made; documentValueOf is its inverse.
 */
export function recordedValueOf(field: string | null | undefined): string | null {
  return field ?? null;
}

/** A recorded optional field as a document holds it: absent (undefined) where it was recorded as null. */
export function documentValueOf(recorded: string | null | undefined): string | undefined {
  return recorded ?? undefined;
}

/** Rocket.Chat's presence fields of a document, as compared and recorded. */
export function rocketChatPresenceOf(user: RocketChatPresenceFields): RocketChatPresence {
  return {
    status: user.status,
    statusText: user.statusText,
    statusDefault: recordedValueOf(user.statusDefault),
    statusConnection: recordedValueOf(user.statusConnection),
  };
}

/** A recorded presence as a document's fields again (each optional field set, absent ones to undefined). */
export function rocketChatFieldsOf(recorded: RocketChatPresence): Pick<RocketChatPresenceFields, 'status' | 'statusText' | 'statusDefault' | 'statusConnection'> {
  return {
    status: recorded.status,
    statusText: recorded.statusText,
    statusDefault: documentValueOf(recorded.statusDefault),
    statusConnection: documentValueOf(recorded.statusConnection),
  };
}

export function samePresence(a: RocketChatPresence, b: RocketChatPresence): boolean {
  return a.status === b.status && a.statusText === b.statusText && a.statusDefault === b.statusDefault && a.statusConnection === b.statusConnection;
}

/** Whether Rocket.Chat wrote this user's presence fields after this service last wrote or recorded them. */
export function rocketChatWroteSince(user: RocketChatPresenceFields): boolean {
  return user.presenceSeen !== undefined && !samePresence(user.presenceSeen, rocketChatPresenceOf(user));
}

/**
 * Rocket.Chat's connection statuses (`statusConnection`, written by its presence service) of a user with a live
 * connection there: each counts as one more connection (presenceOfConnections).
 */
export const ROCKET_CHAT_CONNECTED_STATUSES: readonly ConnectionState[] = CONNECTION_STATES;

export function isRocketChatConnected(statusConnection: string | null): statusConnection is ConnectionState {
  return (ROCKET_CHAT_CONNECTED_STATUSES as readonly (string | null)[]).includes(statusConnection);
}

/**
 * Whether the presence is Rocket.Chat's to end rather than this service's: it has no expiry of this service's (set
 * by Rocket.Chat, recorded as such, never set, or ended), or Rocket.Chat wrote it after this service did. Whichever
 * wrote last wins: a status Rocket.Chat set lasts as long as Rocket.Chat says (its connections and reaper decide).
 */
export function isRocketChatPresence(user: RocketChatPresenceFields): boolean {
  return user.presenceExpiresAt === null || rocketChatWroteSince(user);
}

/**
 * Whether Rocket.Chat changed the presence and no change stamp records it yet. A user this service never wrote is
 * recorded once seen present; after that, any difference from what was recorded is Rocket.Chat's write.
 */
export function hasUnrecordedRocketChatWrite(user: RocketChatPresenceFields): boolean {
  if (user.presenceSeen === undefined) return user.presenceExpiresAt === null && user.status !== 'offline';
  return rocketChatWroteSince(user);
}
