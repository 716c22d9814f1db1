/**
 * A position in the order of presence changes, as clients see it (`X-Presence-Cursor`, a stream's event ids): the
 * server time up to which the answer or event holds every committed change, in milliseconds. It names no
 * instance, so every instance resumes from it the same way, after a restart too (see planChangesSince).
 */
export function formatCursor(atMs: number): string {
  return String(atMs);
}

const CURSOR = /^\d{1,15}$/;

/** The time a cursor names; undefined when `text` is not a cursor at all. */
export function parseCursor(text: string): number | undefined {
  return CURSOR.test(text) ? Number(text) : undefined;
}

/** How a read of changes since a client's point answers: everything, or the changes since `since`. */
export type PresenceQueryPlan = { kind: 'full' } | { kind: 'changes'; since: Date };

export interface DeltaWindow {
  /** A point this old or older gets the full list (Rocket.Chat: 10 minutes for `from`). */
  windowMs: number;
  /**
   * Changes are read from this long before the client's point: a change committed late (a write in flight, an
   * instance's clock behind) or a client clock ahead of the server would otherwise be missed. A change committed
   * within the overlap before the point may come again, which is harmless; none is ever missed.
   */
  overlapMs: number;
}

/**
 * The least overlap where other programs share the store (MongoDB): a stamped write lands up to half the overlap
 * after its stamp and instances' clocks differ by up to the other half (sharedStoreTiming).
 */
export const SHARED_STORE_MIN_OVERLAP_MS = 1000;

/** How a shared store keeps the overlap's promise that no change is missed. */
export interface SharedStoreTiming {
  /** A stamped write lands within this after its stamp, or is abandoned: half the overlap, at most the store timeout. */
  stampedWriteTimeoutMs: number;
  /** How far back every read of changes starts again before its point: the whole overlap. */
  lateWriteWindowMs: number;
}

/**
 * The one place the overlap is split: half for a stamped write to land (the server abandons it later than that),
 * the other half for the difference between instances' clocks (and Rocket.Chat servers' clocks).
 */
export function sharedStoreTiming(overlapMs: number, storeTimeoutMs: number): SharedStoreTiming {
  return { stampedWriteTimeoutMs: Math.min(storeTimeoutMs, Math.floor(overlapMs / 2)), lateWriteWindowMs: overlapMs };
}

/**
 * How far back a delta or a resume can still be answered with changes (anything older gets the full list): the
 * window, its overlap, and the store's late-write window. A removal must be remembered this long.
 */
export function readableBackMs(window: DeltaWindow, lateWriteWindowMs: number): number {
  return window.windowMs + window.overlapMs + lateWriteWindowMs;
}

/**
 * What a client that has seen everything up to `point` needs: nothing known (`undefined`), or a point the window
 * old, gets the full list; otherwise the changes from `point` less the overlap, a point in the server's future read
 * as now. The same for a `from` (the client's clock) and a cursor (a server's): it depends on nothing but the point,
 * so every instance answers it alike, whoever else asks with the same login token.
 */
export function planChangesSince(point: Date | undefined, now: Date, window: DeltaWindow): PresenceQueryPlan {
  if (point === undefined) return { kind: 'full' };
  const pointMs = point.getTime();
  if (now.getTime() - pointMs >= window.windowMs) return { kind: 'full' };
  return { kind: 'changes', since: new Date(Math.min(pointMs, now.getTime()) - window.overlapMs) };
}
