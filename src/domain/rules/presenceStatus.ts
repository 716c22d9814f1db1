import type { Status } from '../ports/records';
import type { ConnectionState } from '../ports/connections';

/** A user's connection status: what their devices say, before their chosen status is applied. */
export type ConnectionStatus = 'online' | 'away' | 'offline';

/**
 * Rocket.Chat's processConnectionStatus: `online` if any connection is online, else `away` if any is away, else
 * `offline`. One device in use beats another left idle.
 */
export function connectionStatusOf(states: Iterable<ConnectionState | ConnectionStatus>): ConnectionStatus {
  let status: ConnectionStatus = 'offline';
  for (const state of states) {
    if (state === 'online') return 'online';
    if (state === 'away') status = 'away';
  }
  return status;
}

/**
 * Rocket.Chat's processStatus, and the only place that decides what status a user shows: `offline` without a
 * connection; the connection status when the chosen status is `online`; otherwise the chosen status (`away`,
 * `busy`; a chosen `offline` is invisible: others see offline).
 */
export function shownStatus(connection: ConnectionStatus, chosen: Status): Status {
  if (connection === 'offline') return 'offline';
  if (chosen === 'online') return connection;
  return chosen;
}
