/** A task waiting for its time; cancelling one that already ran does nothing. */
export interface Scheduled {
  cancel(): void;
}

/** A task to run later; `delayMs` 0 means as soon as the event loop has handled what is waiting. */
export type Later = (task: () => void, delayMs: number) => Scheduled;

/**
 * Where the services wait: injected beside the Clock, so tests run heartbeats, polls and rounds by moving a fake
 * clock (tests/support/fakeTimers.ts) instead of sleeping. No timer keeps the process alive: shutdown is explicit.
 */
export interface Timers {
  later: Later;
  /** Runs `task` every `intervalMs` until cancelled. */
  every(task: () => void, intervalMs: number): Scheduled;
}

/** Node's event loop. */
export const eventLoopTimers: Timers = {
  later: (task, delayMs) => {
    if (delayMs <= 0) {
      const immediate = setImmediate(task);
      return { cancel: () => clearImmediate(immediate) };
    }
    const timeout = setTimeout(task, delayMs);
    timeout.unref();
    return { cancel: () => clearTimeout(timeout) };
  },
  every: (task, intervalMs) => {
    const interval = setInterval(task, intervalMs);
    interval.unref();
    return { cancel: () => clearInterval(interval) };
  },
};
