import type { PresenceObserver } from '../../../src/domain/ports/observer';
import type { PresenceReading } from '../../../src/domain/ports/records';
import type { StreamEvent, StreamSink } from '../../../src/domain/ports/streams';
import { StreamDelivery } from '../../../src/domain/services/streamDelivery';
import { FakeClock } from '../../support/fakeClock';
import { FakeTimers } from '../../support/fakeTimers';
import { userRecord } from '../../support/testApp';

/** A sink that keeps its events; writing one takes `costMs` of the fake clock, as a busy socket would. */
class RecordingSink implements StreamSink {
  readonly events: StreamEvent[] = [];
  costMs = 0;
  /** false: its client has not read what it was sent (the socket waits for 'drain'). */
  keepingUp = true;
  private keptUp: (() => void)[] = [];

  constructor(private readonly clock: FakeClock) {}

  send(event: StreamEvent): void {
    this.events.push(event);
    this.clock.advance(this.costMs);
  }

  keepAlive(): void {}

  close(): void {}

  keepsUp(): boolean {
    return this.keepingUp;
  }

  onceKeptUp(then: () => void): void {
    this.keptUp.push(then);
  }

  /** The client has read everything: as the socket's 'drain'. */
  drain(): void {
    this.keepingUp = true;
    const waiting = this.keptUp;
    this.keptUp = [];
    for (const then of waiting) then();
  }

  get drainListeners(): number {
    return this.keptUp.length;
  }
}

let revision = 0;
function readingOf(userId: string, status: PresenceReading['status'], clock: FakeClock): PresenceReading {
  revision += 1;
  return { user: userRecord({ id: userId, statusText: `r${revision}`, presenceChangedAt: clock.now(), status }), status };
}

const OPTIONS = { maxWindowMs: 500, busyShare: 0.5, sliceMs: 20 };

describe('StreamDelivery: coalescing under backlog (fake clock)', () => {
  let clock: FakeClock;
  let later: FakeTimers;
  let reports: { windowSeconds: number; waiting: number }[];
  let delivered: number[];
  let delivery: StreamDelivery;

  beforeEach(() => {
    clock = new FakeClock('2026-03-01T10:00:00.000Z');
    later = new FakeTimers(clock);
    reports = [];
    delivered = [];
    const observer: PresenceObserver = {
      changeRecorded: () => undefined,
      expirySeen: () => undefined,
      streamsOpen: () => undefined,
      streamDelivered: (seconds) => delivered.push(seconds),
      streamBacklog: (windowSeconds, waiting) => reports.push({ windowSeconds, waiting }),
    };
    delivery = new StreamDelivery(clock, OPTIONS, later.later, observer);
  });

  function watchers(count: number, ids: string[] | undefined, costMs = 0): RecordingSink[] {
    return Array.from({ length: count }, () => {
      const sink = new RecordingSink(clock);
      sink.costMs = costMs;
      delivery.add(sink, ids, 0);
      return sink;
    });
  }

  const usersOf = (event: StreamEvent) => event.readings.map((reading) => `${reading.user.id}:${reading.status}:${reading.user.statusText}`);

  it('at rest writes each change at once, one event per watcher, with a window of 0', () => {
    const [a, b] = watchers(2, ['u1', 'u2']);
    const [other] = watchers(1, ['u9']);
    const change = readingOf('u1', 'away', clock);
    delivery.deliver(1, 'c-1', [change]);
    expect(a.events).toEqual([]);
    later.runDue();
    expect(a.events).toEqual([{ cursor: 'c-1', full: false, readings: [change] }]);
    // One change for both: the same event object, which the sink renders once.
    expect(b.events[0]).toBe(a.events[0]);
    expect(other.events).toEqual([]);
    expect(delivery.window).toBe(0);
    expect(later.pending).toBe(0);
    expect(delivered).toEqual([0]);
  });

  /**
   * Two rounds back to back, each writing to every sink (watching u1 and u2): the second worked all the time since
   * the first ended, and its events carry two changes each, so a window merges them.
   */
  function fallBehind(): void {
    delivery.deliver(1, 'c-1', [readingOf('u1', 'away', clock)]);
    later.runDue();
    expect(delivery.window).toBe(0);
    delivery.deliver(2, 'c-2', [readingOf('u1', 'busy', clock), readingOf('u2', 'away', clock)]);
    later.runDue();
  }

  it('widens the window when deliveries fall behind: a stream then gets one event per window, holding each user\'s latest state, and loses nothing', () => {
    // 200 streams whose events take 1 ms each to write: one round takes 200 ms.
    const sinks = watchers(200, ['u1', 'u2', 'u3'], 1);
    fallBehind();
    expect(sinks.map((sink) => sink.events.length)).toEqual(Array(200).fill(2));
    expect(delivery.window).toBe(200);
    expect(reports.at(-1)).toEqual({ windowSeconds: 0.2, waiting: 0 });

    // Changes keep coming every 10 ms; u2 changes twice.
    const last: Record<string, PresenceReading> = {};
    for (const [k, [userId, status]] of ([['u2', 'busy'], ['u3', 'away'], ['u2', 'online'], ['u1', 'offline']] as const).entries()) {
      last[userId] = readingOf(userId, status, clock);
      delivery.deliver(3 + k, `c-${3 + k}`, [last[userId]]);
      later.advance(10);
    }
    expect(sinks[0].events).toHaveLength(2);
    expect(delivery.backlog).toBe(200);
    expect(reports.at(-1)).toEqual({ windowSeconds: 0.2, waiting: 200 });

    later.advance(160);
    for (const sink of sinks) {
      expect(sink.events).toHaveLength(3);
      expect(sink.events[2].cursor).toBe('c-6');
      expect(usersOf(sink.events[2]).sort()).toEqual(['u1', 'u2', 'u3'].map((userId) => `${userId}:${last[userId].status}:${last[userId].user.statusText}`));
    }
    expect(delivery.backlog).toBe(0);
  });

  it('does not widen while its events carry one change each, however busy: a window would only hold them back', () => {
    // 200 streams whose events take 1 ms each: every round works all the time since the previous one ended.
    const sinks = watchers(200, ['u1', 'u2'], 1);
    for (let k = 0; k < 5; k += 1) {
      delivery.deliver(1 + k, `c-${1 + k}`, [readingOf(k % 2 === 0 ? 'u1' : 'u2', 'away', clock)]);
      later.runDue();
      expect(delivery.window).toBe(0);
    }
    expect(sinks.map((sink) => sink.events.length)).toEqual(Array(200).fill(5));
  });

  it('never widens past the longest window, however slow the writes', () => {
    watchers(100, ['u1', 'u2'], 20);
    fallBehind();
    expect(delivery.window).toBe(500);
  });

  it('narrows the window again as the backlog drains, halving round by round down to 0', () => {
    const sinks = watchers(200, ['u1', 'u2'], 1);
    fallBehind();
    expect(delivery.window).toBe(200);
    for (const sink of sinks) sink.costMs = 0;
    const windows: number[] = [];
    // Events of two changes each: only the share of the time the rounds take can narrow the window.
    for (let k = 0; k < 10; k += 1) {
      delivery.deliver(3 + k, `c-${3 + k}`, [readingOf('u1', k % 2 === 0 ? 'online' : 'away', clock), readingOf('u2', 'busy', clock)]);
      later.advance(delivery.window);
      windows.push(delivery.window);
    }
    expect(windows).toEqual([100, 50, 25, 12, 6, 3, 1, 0, 0, 0]);
    expect(sinks[0].events).toHaveLength(12);
  });

  it('narrows the window when changes stop coming, halving it every window and reporting it, down to 0', () => {
    watchers(200, ['u1', 'u2'], 1);
    fallBehind();
    expect(delivery.window).toBe(200);
    later.advance(200);
    expect(delivery.window).toBe(100);
    later.advance(100 + 50 + 25 + 12 + 6 + 3 + 1);
    expect(delivery.window).toBe(0);
    expect(reports.map((report) => report.windowSeconds).slice(-9)).toEqual([0.2, 0.1, 0.05, 0.025, 0.012, 0.006, 0.003, 0.001, 0]);
    expect(later.pending).toBe(0);
  });

  it('goes back to 0 under a steady load one core carries, however wide a slow round made it', () => {
    const sinks = watchers(100, ['u1', 'u2'], 1);
    fallBehind();
    expect(delivery.window).toBe(100);
    // Each round works 100 ms of every 300 (a third of the time, under the share deliveries may take).
    const windows: number[] = [];
    for (let k = 0; k < 8; k += 1) {
      later.advance(200);
      delivery.deliver(3 + k, `c-${3 + k}`, [readingOf('u1', k % 2 === 0 ? 'online' : 'away', clock), readingOf('u2', 'busy', clock)]);
      later.advance(100);
      windows.push(delivery.window);
    }
    expect(windows).toHaveLength(8);
    expect(windows.filter((window, k) => k > 0 && window > windows[k - 1])).toEqual([]);
    expect(windows.at(-1)).toBe(0);
    expect(sinks[0].events).toHaveLength(10);
  });

  it('yields to the event loop in the middle of a long round; a stream already written to waits for the next round', () => {
    const sinks = watchers(320, ['u1'], 1);
    delivery.deliver(1, 'c-1', [readingOf('u1', 'away', clock)]);
    // The first slice stops once 20 ms of writes have passed (looked at every 32 events).
    expect(later.runNext()).toBe(true);
    expect(sinks.filter((sink) => sink.events.length === 1)).toHaveLength(32);
    expect(delivery.backlog).toBe(320 - 32);
    const again = readingOf('u1', 'busy', clock);
    delivery.deliver(2, 'c-2', [again]);
    while (sinks[319].events.length === 0) expect(later.runNext()).toBe(true);
    // The rest of the round got the newest state; the first 32 get it in the next round.
    expect(sinks[319].events.map(usersOf)).toEqual([[`u1:busy:${again.user.statusText}`]]);
    expect(sinks[0].events).toHaveLength(1);
    expect(delivery.backlog).toBe(32);
    later.runDue();
    expect(sinks[0].events).toHaveLength(2);
    expect(sinks.map((sink) => sink.events.at(-1)?.readings[0] === again)).toEqual(Array(320).fill(true));
  });

  it('holds the changes of a stream whose client has not read what it was sent, merged per user, and writes them as one event once it has', () => {
    const [slow, quick] = watchers(2, ['u1', 'u2']);
    slow.keepingUp = false;
    const first = readingOf('u1', 'away', clock);
    delivery.deliver(1, 'c-1', [first]);
    later.runDue();
    expect(quick.events.map(usersOf)).toEqual([[`u1:away:${first.user.statusText}`]]);
    expect(slow.events).toEqual([]);
    expect(delivery.backlog).toBe(1);

    // More changes while it is behind: u1 twice, u2 once. It is asked to wait for its reader once, not per change.
    const u2 = readingOf('u2', 'busy', clock);
    const u1 = readingOf('u1', 'online', clock);
    delivery.deliver(2, 'c-2', [u2]);
    later.runDue();
    delivery.deliver(3, 'c-3', [u1]);
    later.runDue();
    expect(quick.events).toHaveLength(3);
    expect(slow.events).toEqual([]);
    expect(slow.drainListeners).toBe(1);
    expect(later.pending).toBe(0);

    slow.drain();
    expect(slow.events).toEqual([]);
    later.runDue();
    expect(slow.events).toHaveLength(1);
    expect(slow.events[0].cursor).toBe('c-3');
    expect(usersOf(slow.events[0]).sort()).toEqual([`u1:online:${u1.user.statusText}`, `u2:busy:${u2.user.statusText}`]);
    expect(delivery.backlog).toBe(0);
  });

  it('forgets a stream that closes while its client is behind: its reader catching up later writes nothing', () => {
    const slow = new RecordingSink(clock);
    const stream = delivery.add(slow, ['u1'], 0);
    slow.keepingUp = false;
    delivery.deliver(1, 'c-1', [readingOf('u1', 'away', clock)]);
    later.runDue();
    expect(delivery.backlog).toBe(1);
    delivery.remove(stream);
    expect(delivery.backlog).toBe(0);
    expect(reports.at(-1)?.waiting).toBe(0);
    slow.drain();
    // Nothing queued or scheduled by the drain itself, not only nothing written once rounds ran.
    expect(delivery.backlog).toBe(0);
    expect(later.pending).toBe(0);
    later.runDue();
    expect(slow.events).toEqual([]);
  });

  it('gives the streams without ids one shared event per round, and a stream that joined meanwhile only what is newer than its snapshot', () => {
    const everyone = watchers(3, undefined, 1);
    delivery.deliver(1, 'c-1', [readingOf('u1', 'away', clock)]);
    later.runDue();
    const before = readingOf('u2', 'busy', clock);
    delivery.deliver(2, 'c-2', [before]);
    const joined = new RecordingSink(clock);
    // Its snapshot was taken at position 2: it has u2 already.
    delivery.add(joined, undefined, 2);
    const after = readingOf('u3', 'online', clock);
    delivery.deliver(3, 'c-3', [after]);
    later.advance(delivery.window);
    expect(everyone.map((sink) => sink.events[1])).toEqual([everyone[0].events[1], everyone[0].events[1], everyone[0].events[1]]);
    expect(everyone[1].events[1]).toBe(everyone[0].events[1]);
    expect(everyone[0].events[1].readings).toEqual([before, after]);
    expect(joined.events).toEqual([{ cursor: 'c-3', full: false, readings: [after] }]);
  });

  it('writes nothing to a stream once it is removed, and nothing at all once stopped', () => {
    const [kept, removed] = [watchers(1, ['u1'])[0], new RecordingSink(clock)];
    const handle = delivery.add(removed, ['u1'], 0);
    delivery.deliver(1, 'c-1', [readingOf('u1', 'away', clock)]);
    delivery.remove(handle);
    later.runDue();
    expect(kept.events).toHaveLength(1);
    expect(removed.events).toEqual([]);
    delivery.deliver(2, 'c-2', [readingOf('u1', 'busy', clock)]);
    expect(reports.at(-1)?.waiting).toBe(1);
    delivery.stop();
    expect(reports.at(-1)?.waiting).toBe(0);
    later.advance(1000);
    expect(kept.events).toHaveLength(1);
  });
});
