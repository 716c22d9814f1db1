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
 * The answer a caller's `from` follows, among this instance's recent answers to its login token. Rocket.Chat's
 * client sends its own clock's time on receiving an answer, so its answer is the latest one given at or before
 * `from`; a later answer to the same token (another tab, a script, one lost on the way) is never taken. With a
 * client clock slightly behind the server none is at or before `from`: then the earliest one less than the
 * overlap before it, which is no later than the client's own, so at worst changes come twice.
 */
function answerFollowed(past: readonly PastAnswer[], fromMs: number, overlapMs: number): PastAnswer | undefined {
  let latestBefore: PastAnswer | undefined;
  let earliestAround: PastAnswer | undefined;
  for (const answer of past) {
    if (answer.answeredAtMs < fromMs - overlapMs) continue;
    if (answer.answeredAtMs <= fromMs && (latestBefore === undefined || answer.answeredAtMs >= latestBefore.answeredAtMs)) latestBefore = answer;
    if (earliestAround === undefined || answer.answeredAtMs < earliestAround.answeredAtMs) earliestAround = answer;
  }
  return latestBefore ?? earliestAround;
}

/**
 * - No `from`, or one the delta window old: the full list.
 * - Otherwise the changes after `from`: exactly those after the feed position of the answer `from` follows, when
 *   this instance answered the caller before (see answerFollowed), so nothing comes twice; else those after `from`
 *   less the overlap, a `from` in the server's future read as now.
 */
export function planPresenceQuery(from: Date | undefined, now: Date, window: DeltaWindow, past: readonly PastAnswer[] = []): PresenceQueryPlan {
  if (from === undefined) return { kind: 'full' };
  const fromMs = from.getTime();
  if (now.getTime() - fromMs >= window.windowMs) return { kind: 'full' };
  const since = new Date(Math.min(fromMs, now.getTime()) - window.overlapMs);
  const followed = answerFollowed(past, fromMs, window.overlapMs);
  return followed === undefined ? { kind: 'delta', since } : { kind: 'delta', since, afterPosition: followed.position };
}
