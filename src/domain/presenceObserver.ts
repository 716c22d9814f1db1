/** What the domain reports as it happens, for the metrics; createApp wires it to prom-client. */
export interface PresenceObserver {
  /** A write through this instance changed what clients see. */
  changeRecorded(): void;
  /** This instance's feed read a presence that had run out. */
  expirySeen(): void;
  /** How many streams this instance has open now. */
  streamsOpen(count: number): void;
}

export const ignoreEvents: PresenceObserver = {
  changeRecorded: () => undefined,
  expirySeen: () => undefined,
  streamsOpen: () => undefined,
};
