import type { ConnectionKind, ConnectionRecord } from '../ports/connections';
import type { Status } from '../ports/records';
import { connectionStatusOf, shownStatus, type ConnectionStatus } from './presenceStatus';
import { isRocketChatConnected } from './rocketChatPresence';
import { isStatus } from './status';

/** How connections are kept alive (CONNECTION_LEASE_SECONDS, CONNECTION_RENEW_SECONDS). */
export interface LeaseTimes {
  /** A connection, or an instance, not renewed for this long has ended. */
  leaseMs: number;
  /** How often each instance renews its streams and its liveness record, writes the heartbeats it received, and ends lapsed connections. */
  renewMs: number;
}

/**
 * How often a client should heartbeat (whole seconds): a heartbeat may wait up to `renewMs` to be written, and the
 * lease must not run out before the next one is, with as much again to spare for a slow network.
 */
export function heartbeatIntervalMs(times: LeaseTimes): number {
  return Math.max(1000, Math.floor((times.leaseMs - times.renewMs) / 2000) * 1000);
}

/**
 * An instance renews the leases of its streams once less than half a lease, or three rounds, is left (whichever is
 * longer; every round when that is the whole lease), not on every round. A round always finds at least two rounds'
 * time left on a running lease, so one late by that much still renews it; with the defaults each stream's lease (and
 * its user's presence expiry) is written every fourth round: 10 000 streams cost 10 000 row writes every 20 s instead
 * of every 5 s.
 */
export function streamRenewalDueBefore(now: Date, times: LeaseTimes): Date {
  return new Date(now.getTime() + Math.min(times.leaseMs, Math.max(times.leaseMs / 2, 3 * times.renewMs)));
}

/** A connection is live until its lease ends. */
export function isLive(connection: Pick<ConnectionRecord, 'expiresAt'>, now: Date): boolean {
  return connection.expiresAt.getTime() > now.getTime();
}

/** A user's connections as they are once `put` is stored: it replaces the one with its id, or joins them. */
export function withConnectionPut(connections: readonly ConnectionRecord[], put: ConnectionRecord | undefined): readonly ConnectionRecord[] {
  if (put === undefined) return connections;
  return [...connections.filter((connection) => connection.id !== put.id), put];
}

/** The status a user chose (Rocket.Chat's `statusDefault`) as of `now`: `online` when none was, or a timed one has ended. */
export function chosenStatusOf(user: { statusDefault?: string; statusExpiresAt?: Date }, now: Date): Status {
  if (timedStatusEnded(user, now)) return 'online';
  return isStatus(user.statusDefault) ? user.statusDefault : 'online';
}

/** Whether the user's timed status has ended by `now`. */
export function timedStatusEnded(user: { statusExpiresAt?: Date }, now: Date): boolean {
  return user.statusExpiresAt !== undefined && user.statusExpiresAt.getTime() <= now.getTime();
}

/**
 * How a device's declaration is set: by the client choosing its presence (pnut's PUT, with its `expiration` or the
 * time to live from now), or as a renewal (`update_presence` on any call, users.setStatus).
 */
export type DeclarationSetBy = 'choice' | 'renewal';

/**
 * Whether setting a presence is the same presence renewed, the one question both ends a client chose depend on (the
 * device's declaration's, declarationEnd, and the chosen status's, pnutStatusEnd): a renewal (`setBy`) asking for
 * the status already chosen (`asked`; undefined: none, as users.setStatus with a message alone). A renewal to
 * another status is a new presence: "away until in 6 days" then `update_presence=online` is online for the time to
 * live from then, not for 6 days after the device's last sign of life.
 */
export function isSamePresenceRenewed(setBy: DeclarationSetBy, asked: Status | undefined, chosenBefore: Status): boolean {
  return setBy === 'renewal' && (asked === undefined || asked === chosenBefore);
}

/**
 * When a device's declaration ends once set again, asked to run until `asked`: the same presence renewed
 * (isSamePresenceRenewed) never shortens it, so an `expiration` the client chose (days ahead) outlives the
 * renewals that follow, each of which asks only for the time to live; anything else replaces the end it had
 * (shorter or longer).
 */
export function declarationEnd(asked: Date, running: Date | undefined, samePresenceRenewed: boolean): Date {
  if (!samePresenceRenewed || running === undefined) return asked;
  return running.getTime() > asked.getTime() ? running : asked;
}

/** What a user's presence is made of, as every instance computes it from the same connections. */
export interface ConnectionsPresence {
  /** The status of this service's connections. */
  connectionStatus: ConnectionStatus;
  /** The status of both systems' connections: this service's and, beside Rocket.Chat, its own. */
  withRocketChat: ConnectionStatus;
  /** What others see. */
  status: Status;
  /**
   * When the presence ends unless a connection is renewed: the last live lease. null when no connection of this
   * service's is live, or when Rocket.Chat's own connection status keeps the user present (its connections decide
   * how long that lasts).
   */
  expiresAt: Date | null;
}

/**
 * A user's presence from their live connections and their chosen status. Beside Rocket.Chat, its connection status
 * (`statusConnection`, written by its presence service) counts as one more connection: a device connected to
 * either system makes the user present.
 */
export function presenceOfConnections(connections: readonly ConnectionRecord[], chosen: Status, now: Date, rocketChatConnection: string | null = null): ConnectionsPresence {
  const live = connections.filter((connection) => isLive(connection, now));
  const connectionStatus = connectionStatusOf(live.map((connection) => connection.state));
  const rocketChatPresent = isRocketChatConnected(rocketChatConnection);
  const withRocketChat = rocketChatPresent ? connectionStatusOf([connectionStatus, rocketChatConnection]) : connectionStatus;
  const lastLease = live.reduce<Date | null>((last, connection) => (last === null || connection.expiresAt > last ? connection.expiresAt : last), null);
  return { connectionStatus, withRocketChat, status: shownStatus(withRocketChat, chosen), expiresAt: rocketChatPresent ? null : lastLease };
}

/** For the user himself (users.getStatus): how many live connections of each kind. */
export function connectionCounts(connections: readonly ConnectionRecord[], now: Date): Record<ConnectionKind, number> {
  const counts: Record<ConnectionKind, number> = { stream: 0, heartbeat: 0, declaration: 0 };
  for (const connection of connections) if (isLive(connection, now)) counts[connection.kind] += 1;
  return counts;
}
