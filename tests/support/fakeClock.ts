import type { Clock } from '../../src/domain/ports/clock';

/** The start of the current minute, real time. */
function thisMinute(): Date {
  return new Date(Math.floor(Date.now() / 60_000) * 60_000);
}

/**
 * A clock tests move by hand, so nothing ever sleeps. It starts near the real time, not at a fixed date: on a
 * real mongod, the TTL monitor (every 60 s) would delete documents whose TTL date is already long past (stream
 * tickets written under a clock set months back) between a test's write and its read.
 */
export class FakeClock implements Clock {
  private currentMs: number;

  constructor(start: Date | string = thisMinute()) {
    this.currentMs = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.currentMs);
  }

  advance(ms: number): void {
    this.currentMs += ms;
  }

  advanceSeconds(seconds: number): void {
    this.advance(seconds * 1000);
  }

  set(at: Date | string): void {
    this.currentMs = new Date(at).getTime();
  }
}
