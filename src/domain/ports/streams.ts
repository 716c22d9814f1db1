import type { PresenceReading } from './records';

/** One event of a stream: the users whose presence it reports, and the cursor to resume after it. */
export interface StreamEvent {
  cursor: string;
  full: boolean;
  readings: readonly PresenceReading[];
}

/**
 * Where a stream's events go; the HTTP layer writes them as Server-Sent Events. An event object may go to many
 * sinks (the snapshot to every stream opening on it, a change to every stream without `ids`): render it once.
 */
export interface StreamSink {
  send(event: StreamEvent): void;
  /**
   * Called twice a heartbeat: writes a comment unless something was written since the previous call, and ends a
   * stream whose client, behind (keepsUp() false), has read nothing for a whole heartbeat.
   */
  keepAlive(): void;
  /** Ends the stream from the server's side; the client reconnects (with its last event id) when it wants. */
  close(): void;
  /**
   * Whether the client keeps up: false while what was written to it waits in the process for it to read. A stream
   * with `ids` that does not keep up gets its changes merged into one event (StreamDelivery) until it has read the
   * rest, so a slow reader costs a pending reading per watched user, not a buffer per change.
   */
  keepsUp(): boolean;
  /** Calls `then` once, when the client has read what waited for it (after keepsUp() said false). */
  onceKeptUp(then: () => void): void;
}
