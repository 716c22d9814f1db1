/** How `users.presence` answers a given `from`. */
export type PresenceQueryPlan = { kind: 'full' } | { kind: 'delta'; since: Date };

export interface DeltaWindow {
  /** A `from` this old or older gets the full list (Rocket.Chat: 10 minutes). */
  windowMs: number;
  /**
   * Changes are read from `from - overlapMs`, not from `from`: a change stamped just before a delta was read but
   * committed just after it, a client that takes `from` from its own clock after the answer arrives, and a client
   * clock running a few seconds ahead would otherwise each lose a change. Sending a change twice is harmless.
   */
  overlapMs: number;
}

export function planPresenceQuery(from: Date | undefined, now: Date, window: DeltaWindow): PresenceQueryPlan {
  if (from === undefined) return { kind: 'full' };
  if (now.getTime() - from.getTime() >= window.windowMs) return { kind: 'full' };
  // A `from` in the server's future (a client clock running ahead) reads from now: later would miss changes.
  return { kind: 'delta', since: new Date(Math.min(from.getTime(), now.getTime()) - window.overlapMs) };
}
