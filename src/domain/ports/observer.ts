/** What the domain reports as it happens, for the metrics; createApp wires it to prom-client. */
export interface PresenceObserver {
  /** A write through this instance changed what clients see. */
  changeRecorded(): void;
  /** This instance's feed read a presence that had run out. */
  expirySeen(): void;
  /** How many streams this instance has open now. */
  streamsOpen(count: number): void;
  /** A change's event was written to the streams that watch it, this long after its change stamp (seconds). */
  streamDelivered(seconds: number): void;
  /** The streams' coalescing window now (seconds; 0 at rest), and the events waiting for the next round. */
  streamBacklog(windowSeconds: number, waitingEvents: number): void;
}

export const ignoreEvents: PresenceObserver = {
  changeRecorded: () => undefined,
  expirySeen: () => undefined,
  streamsOpen: () => undefined,
  streamDelivered: () => undefined,
  streamBacklog: () => undefined,
};
