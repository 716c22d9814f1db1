/** How `users.presence` answers a given `from`. */
export type PresenceQueryPlan =
  | { kind: 'full' }
  /** `afterPosition`: the feed position of the caller's last answer here, when `from` asks for what came after it. */
  | { kind: 'delta'; since: Date; afterPosition?: number };

export interface DeltaWindow {
  /** A `from` this old or older gets the full list (Rocket.Chat: 10 minutes). */
  windowMs: number;
  /**
   * Where the server knows nothing of the caller, changes are read from `from - overlapMs`, not from `from`: a
   * client clock running behind or ahead, or a change committed late, would otherwise lose a change. A change may
   * then come twice, which is harmless.
   */
  overlapMs: number;
}

/** What this instance answered a caller last: the feed position it was current to, when, and for which `from`. */
export interface LastAnswer {
  position: number;
  answeredAtMs: number;
  fromMs: number | undefined;
}

/**
 * - No `from`, or one the delta window old: the full list.
 * - A `from` at or after the caller's last answer here (less the overlap, for a client clock behind the server;
 *   any amount ahead): exactly the changes after that answer's feed position, so nothing comes twice. The same
 *   `from` again means that answer never arrived; it is read as if nothing were known.
 * - Otherwise: the changes after `from`, less the overlap; a `from` in the server's future is read as now.
 */
export function planPresenceQuery(from: Date | undefined, now: Date, window: DeltaWindow, last?: LastAnswer): PresenceQueryPlan {
  if (from === undefined) return { kind: 'full' };
  const fromMs = from.getTime();
  if (now.getTime() - fromMs >= window.windowMs) return { kind: 'full' };
  const since = new Date(Math.min(fromMs, now.getTime()) - window.overlapMs);
  if (last !== undefined && fromMs >= last.answeredAtMs - window.overlapMs && fromMs !== last.fromMs) {
    return { kind: 'delta', since, afterPosition: last.position };
  }
  return { kind: 'delta', since };
}
