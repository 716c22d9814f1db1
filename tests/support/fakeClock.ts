import type { Clock } from '../../src/domain/clock';

/** A clock tests move by hand, so nothing ever sleeps. */
export class FakeClock implements Clock {
  private currentMs: number;

  constructor(start: Date | string = '2026-01-15T12:00:00.000Z') {
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
