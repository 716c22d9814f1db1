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

/** One answer this instance gave a caller: the feed position it was current to, and when (server clock). */
export interface PastAnswer {
  position: number;
  answeredAtMs: number;
}

/**
 * - No `from`, or one the delta window old: the full list.
 * - Otherwise the changes after `from`. Where this instance answered the caller (its login token) before, the
 *   latest of those answers given at or before `from`, and not more than the overlap before it, is the one the
 *   client took `from` from (Rocket.Chat's client sends its own clock's time on receiving an answer): exactly the
 *   changes after that answer's feed position, so nothing comes twice. A later answer to the same token is not
 *   used, since it may have gone elsewhere (another tab, or an answer lost on the way).
 * - Where none fits: the changes after `from` less the overlap; a `from` in the server's future is read as now.
 */
export function planPresenceQuery(from: Date | undefined, now: Date, window: DeltaWindow, past: readonly PastAnswer[] = []): PresenceQueryPlan {
  if (from === undefined) return { kind: 'full' };
  const fromMs = from.getTime();
  if (now.getTime() - fromMs >= window.windowMs) return { kind: 'full' };
  const since = new Date(Math.min(fromMs, now.getTime()) - window.overlapMs);
  let taken: PastAnswer | undefined;
  for (const answer of past) {
    if (answer.answeredAtMs <= fromMs && answer.answeredAtMs >= fromMs - window.overlapMs && (taken === undefined || answer.answeredAtMs >= taken.answeredAtMs)) taken = answer;
  }
  return taken === undefined ? { kind: 'delta', since } : { kind: 'delta', since, afterPosition: taken.position };
}
