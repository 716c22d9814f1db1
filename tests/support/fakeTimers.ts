import type { Later, Scheduled, Timers } from '../../src/domain/ports/timers';
import type { FakeClock } from './fakeClock';

interface Task {
  dueMs: number;
  seq: number;
  run(): void;
}

/** One turn of the real event loop: what the tasks started (store reads, promise chains) moves on; nothing sleeps. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Timers on a FakeClock: a task runs when the test moves the clock to its time, in due order, never by itself. A
 * task `later(task, 0)` is due at once and runs at the next runDue/advance, as the event loop would run it after
 * what is waiting.
 */
export class FakeTimers implements Timers {
  private tasks: Task[] = [];
  private seq = 0;

  constructor(private readonly clock: FakeClock) {}

  readonly later: Later = (task, delayMs) => this.schedule(this.clock.now().getTime() + Math.max(0, delayMs), task);

  readonly every = (task: () => void, intervalMs: number): Scheduled => {
    let current: Scheduled;
    // Like setInterval, a tick that runs late is not made up for: the next is an interval after it ran.
    const tick = (): void => {
      current = this.schedule(this.clock.now().getTime() + intervalMs, () => {
        tick();
        task();
      });
    };
    tick();
    return { cancel: () => current.cancel() };
  };

  /** Runs the first task due by now, if any; the task itself may move the clock. */
  runNext(): boolean {
    const nowMs = this.clock.now().getTime();
    const due = this.tasks.filter((entry) => entry.dueMs <= nowMs).sort((a, b) => a.dueMs - b.dueMs || a.seq - b.seq)[0];
    if (due === undefined) return false;
    this.tasks = this.tasks.filter((entry) => entry !== due);
    due.run();
    return true;
  }

  /** Runs every task due by now, and those they schedule for now (a runaway loop fails the test). */
  runDue(): void {
    for (let ran = 0; this.runNext(); ran += 1) if (ran > 100_000) throw new Error('tasks keep scheduling tasks');
  }

  /** Moves the clock by `ms`, running each task at its own time. */
  advance(ms: number): void {
    const endMs = this.clock.now().getTime() + ms;
    for (let rounds = 0; ; rounds += 1) {
      if (rounds > 100_000) throw new Error('tasks keep scheduling tasks');
      this.runDue();
      const next = this.nextDueBy(endMs);
      if (next === undefined) break;
      this.clock.set(new Date(Math.max(Math.ceil(next), this.clock.now().getTime())));
    }
    if (this.clock.now().getTime() < endMs) this.clock.set(new Date(endMs));
    this.runDue();
  }

  /**
   * As advance, for tasks that do I/O: after each task's time the event loop turns until they settle (`turns` times),
   * so a round that reads the store, then waits for the next turn, then reads again, finishes before the next time.
   */
  async advanceAsync(ms: number, turns = 20): Promise<void> {
    const endMs = this.clock.now().getTime() + ms;
    for (let rounds = 0; ; rounds += 1) {
      if (rounds > 10_000) throw new Error('tasks keep scheduling tasks');
      await this.settle(turns);
      const next = this.nextDueBy(endMs);
      if (next === undefined) break;
      this.clock.set(new Date(Math.max(Math.ceil(next), this.clock.now().getTime())));
    }
    if (this.clock.now().getTime() < endMs) this.clock.set(new Date(endMs));
    await this.settle(turns);
  }

  /**
   * Waits for `done` (a socket's answer, a stream's end) with the clock standing still, running the tasks due at
   * every turn of the event loop meanwhile, as the loop would: a round that reads the store, then waits for its
   * next turn, then reads again, goes on however long each read takes.
   */
  async runWhile<T>(done: Promise<T>): Promise<T> {
    let settled = false;
    const watched = done.finally(() => {
      settled = true;
    });
    watched.catch(() => undefined);
    while (!settled) {
      this.runDue();
      await nextTurn();
    }
    return watched;
  }

  get pending(): number {
    return this.tasks.length;
  }

  private async settle(turns: number): Promise<void> {
    for (let turn = 0; turn < turns; turn += 1) {
      this.runDue();
      await nextTurn();
    }
    this.runDue();
  }

  private nextDueBy(endMs: number): number | undefined {
    return this.tasks.map((entry) => entry.dueMs).filter((dueMs) => dueMs <= endMs).sort((a, b) => a - b)[0];
  }

  private schedule(dueMs: number, run: () => void): Scheduled {
    const entry: Task = { dueMs, seq: (this.seq += 1), run };
    this.tasks.push(entry);
    return { cancel: () => (this.tasks = this.tasks.filter((other) => other !== entry)) };
  }
}
