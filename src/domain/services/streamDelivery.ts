import type { Clock } from '../ports/clock';
import { detachedString } from '../../utils';
import { lastVisibleChangeAt } from '../rules/changes';
import { ignoreEvents, type PresenceObserver } from '../ports/observer';
import type { PresenceReading } from '../ports/records';
import type { StreamEvent, StreamSink } from '../ports/streams';
import type { Later } from '../ports/timers';

export interface DeliveryOptions {
  /** The widest the window gets: how long a change may wait for its event however far deliveries fall behind. */
  maxWindowMs: number;
  /** The share of the time deliveries may take: past it, the window widens; under it, it narrows. */
  busyShare: number;
  /** A round yields to the event loop after working this long, so polls are answered in the middle of one. */
  sliceMs: number;
}

/** A registered stream, as delivery sees it. */
export interface Delivered {
  readonly sink: StreamSink;
  /** The users it watches, as the index spells them (one string per user, however many streams watch it). */
  readonly ids: readonly string[] | undefined;
  /**
   * Changes waiting for its next event, each user's latest (streams with `ids`); undefined when none wait. A few
   * at a time, even under load: a list searched by user beats a map made and dropped for every event.
   */
  pending: PresenceReading[] | undefined;
  /** The feed position its snapshot or catch-up was current to (it must not get those changes again); -1 once written to. */
  joinedAt: number;
  removed: boolean;
}

interface Waiting {
  reading: PresenceReading;
  position: number;
}

interface Round {
  queue: Delivered[];
  next: number;
  /** What the streams without `ids` get this round, and the event made of it. */
  shared: Map<string, Waiting> | undefined;
  sharedEvent: StreamEvent | undefined;
  /** The events of one change, by that change: shared by every stream that waits for it alone. */
  single: Map<PresenceReading, StreamEvent>;
  workedMs: number;
  written: Set<PresenceReading>;
  /** Events written, and the changes they carried, summed over streams. */
  eventsWritten: number;
  changesWritten: number;
}

/** Checking the clock costs an allocation: a slice looks at it once per this many events. */
const EVENTS_PER_CLOCK_LOOK = 32;

/**
 * A round whose events carried fewer changes than this on average was not behind: each stream's changes went out
 * about as they came, and widening the window would hold them back for few saved writes (issue 21's S, where a
 * stream sees about two changes a second: a widened window gave a 325 ms median while the core could write each
 * change at once). Under a real backlog, changes pile up during a round and its events carry more.
 */
const MERGING_CHANGES_PER_EVENT = 1.5;

/**
 * Writes the feed's changes to the open streams, coalescing when they come faster than one core can write them.
 *
 * Changes wait, per stream, for the next round of deliveries: each user's latest state only. A round writes at
 * most one event to each stream that has something waiting; the next round starts a window after this one
 * ended. At rest the window is 0 and a change goes out as soon as it is read. When a round worked more than
 * `busyShare` of the time since the previous one ended and its events carried several changes each
 * (MERGING_CHANGES_PER_EVENT), deliveries are falling behind: the window doubles (to at least that round's length),
 * so changes pile up per stream and go out as fewer, larger events; otherwise it halves, round by round, back to 0.
 * It never passes `maxWindowMs`. Every stream keeps every change: a busy stream gets fewer events, never a gap.
 * Streams without `ids` share one event per round, rendered once.
 */
export class StreamDelivery {
  /**
   * Streams with `ids`, by watched user; the key's own string is the one every stream's `ids` holds. Arrays, not
   * sets: a set spends about three times the memory per entry, and a stream is in a hundred of them for hours.
   */
  private readonly watching = new Map<string, { id: string; streams: Delivered[] }>();
  private readonly everyone = new Set<Delivered>();
  /** What waits for the streams without `ids`: each user's latest reading and the position it came with. */
  private everyonePending = new Map<string, Waiting>();
  /** Streams with `ids` whose changes wait for the next round. */
  private readonly waiting = new Set<Delivered>();
  /** Streams with `ids` whose changes wait for their client to read what it was sent (StreamSink.keepsUp). */
  private readonly behind = new Set<Delivered>();
  /** The cursor of the latest batch: every change before it has been handed to the streams' pending events. */
  private cursor = '';
  private windowMs = 0;
  private lastRoundEndMs = Number.NEGATIVE_INFINITY;
  private scheduled: { cancel(): void } | undefined;
  private cooling: { cancel(): void } | undefined;
  private round: Round | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly options: DeliveryOptions,
    private readonly later: Later,
    private readonly observer: PresenceObserver = ignoreEvents,
  ) {}

  /** Events written in no round yet: one per stream with changes waiting. */
  get backlog(): number {
    const sharedWaiting = this.everyonePending.size > 0 ? this.everyone.size : 0;
    const inRound = this.round === undefined ? 0 : this.round.queue.length - this.round.next;
    return this.waiting.size + this.behind.size + sharedWaiting + inRound;
  }

  get window(): number {
    return this.windowMs;
  }

  /** Starts delivering to a stream that has everything up to `joinedAt`. */
  add(sink: StreamSink, ids: readonly string[] | undefined, joinedAt: number): Delivered {
    if (ids === undefined) {
      const stream: Delivered = { sink, ids: undefined, pending: undefined, joinedAt, removed: false };
      this.everyone.add(stream);
      return stream;
    }
    const spelled: string[] = [];
    const stream: Delivered = { sink, ids: spelled, pending: undefined, joinedAt, removed: false };
    for (const id of new Set(ids)) {
      let watchers = this.watching.get(id);
      if (watchers === undefined) {
        // Kept for as long as anyone watches the user: not a view into the query of the stream that came first.
        const own = detachedString(id);
        watchers = { id: own, streams: [] };
        this.watching.set(own, watchers);
      }
      watchers.streams.push(stream);
      spelled.push(watchers.id);
    }
    return stream;
  }

  remove(stream: Delivered): void {
    stream.removed = true;
    stream.pending = undefined;
    const wasQueued = this.waiting.delete(stream);
    const wasBehind = this.behind.delete(stream);
    // The backlog gauge must not keep counting it until the next round, which may never come.
    if (wasQueued || wasBehind) this.report();
    if (stream.ids === undefined) {
      this.everyone.delete(stream);
      return;
    }
    for (const id of stream.ids) {
      const watchers = this.watching.get(id);
      if (watchers === undefined) continue;
      // Order does not matter: the last one takes its place.
      const at = watchers.streams.indexOf(stream);
      const last = watchers.streams.pop() as Delivered;
      if (at !== -1 && at < watchers.streams.length) watchers.streams[at] = last;
      if (watchers.streams.length === 0) this.watching.delete(id);
    }
  }

  /**
   * Takes one batch of the feed: the readings of the users that changed, current to `position` and `cursor`. An
   * event written from now on holds every change up to it, so it carries that cursor.
   */
  deliver(position: number, cursor: string, readings: readonly PresenceReading[]): void {
    this.cursor = cursor;
    for (const reading of readings) {
      const userId = reading.user.id;
      if (this.everyone.size > 0) this.everyonePending.set(userId, { reading, position });
      const watchers = this.watching.get(userId);
      if (watchers === undefined) continue;
      for (const stream of watchers.streams) {
        // A stream with changes waiting is already queued (for the next round, or in this one's queue still), or
        // waits for its reader.
        if (stream.pending === undefined) {
          stream.pending = [reading];
          this.waiting.add(stream);
          continue;
        }
        const at = stream.pending.findIndex((waiting) => waiting.user.id === userId);
        if (at === -1) stream.pending.push(reading);
        else stream.pending[at] = reading;
      }
    }
    this.report();
    this.schedule();
  }

  /** Stops everything (shutdown, or no stream left): nothing more is written, and the index is emptied at once. */
  stop(): void {
    this.scheduled?.cancel();
    this.scheduled = undefined;
    this.cooling?.cancel();
    this.cooling = undefined;
    this.round = undefined;
    this.waiting.clear();
    this.behind.clear();
    this.everyonePending = new Map();
    this.watching.clear();
    this.everyone.clear();
    this.report();
  }

  private schedule(): void {
    if (this.scheduled !== undefined || this.round !== undefined) return;
    if (this.waiting.size === 0 && (this.everyonePending.size === 0 || this.everyone.size === 0)) return;
    const delayMs = Math.max(0, this.lastRoundEndMs + this.windowMs - this.clock.now().getTime());
    this.scheduled = this.later(() => {
      this.scheduled = undefined;
      this.startRound();
    }, delayMs);
  }

  private startRound(): void {
    const queue = Array.from(this.waiting);
    this.waiting.clear();
    let shared: Map<string, Waiting> | undefined;
    if (this.everyonePending.size > 0 && this.everyone.size > 0) {
      shared = this.everyonePending;
      for (const stream of this.everyone) queue.push(stream);
    }
    this.everyonePending = new Map();
    const sharedEvent = shared === undefined ? undefined : this.event([...shared.values()].map((waiting) => waiting.reading));
    this.round = { queue, next: 0, shared, sharedEvent, single: new Map(), workedMs: 0, written: new Set(), eventsWritten: 0, changesWritten: 0 };
    this.continueRound();
  }

  private continueRound(): void {
    const round = this.round;
    if (round === undefined) return;
    const startMs = this.clock.now().getTime();
    let elapsedMs = 0;
    while (round.next < round.queue.length) {
      const stream = round.queue[round.next];
      round.next += 1;
      if (!stream.removed) this.writeTo(stream, round);
      if (round.next % EVENTS_PER_CLOCK_LOOK === 0) {
        elapsedMs = this.clock.now().getTime() - startMs;
        if (elapsedMs >= this.options.sliceMs && round.next < round.queue.length) {
          round.workedMs += elapsedMs;
          this.report();
          this.scheduled = this.later(() => {
            this.scheduled = undefined;
            this.continueRound();
          }, 0);
          return;
        }
      }
    }
    round.workedMs += this.clock.now().getTime() - startMs;
    this.finishRound(round);
  }

  private writeTo(stream: Delivered, round: Round): void {
    let event: StreamEvent | undefined;
    if (stream.ids !== undefined) {
      if (!stream.sink.keepsUp()) {
        this.waitForReader(stream);
        return;
      }
      const readings = stream.pending as PresenceReading[];
      stream.pending = undefined;
      // Most events hold one change, the same for all its watchers: one event object, rendered once, for all.
      if (readings.length === 1) {
        event = round.single.get(readings[0]);
        if (event === undefined || event.cursor !== this.cursor) {
          event = this.event(readings);
          round.single.set(readings[0], event);
        }
      } else {
        event = this.event(readings);
      }
    } else if (round.shared !== undefined && round.sharedEvent !== undefined) {
      // A stream that joined while these changes waited has some of them already, in its snapshot or catch-up.
      event = round.sharedEvent;
      if (stream.joinedAt >= 0) {
        const newer = [...round.shared.values()].filter((waiting) => waiting.position > stream.joinedAt);
        event = newer.length === round.shared.size ? event : newer.length === 0 ? undefined : this.event(newer.map((waiting) => waiting.reading));
      }
    }
    stream.joinedAt = -1;
    if (event === undefined) return;
    stream.sink.send(event);
    round.eventsWritten += 1;
    round.changesWritten += event.readings.length;
    for (const reading of event.readings) round.written.add(reading);
  }

  /**
   * A stream whose client has not read what it was sent keeps its changes pending (each user's latest, merged as
   * they come: deliver() sees it has some) and goes back into the rounds once the client has read the rest.
   */
  private waitForReader(stream: Delivered): void {
    if (this.behind.has(stream)) return;
    this.behind.add(stream);
    stream.sink.onceKeptUp(() => {
      // Removed, or stopped, meanwhile: nothing to write.
      if (!this.behind.delete(stream)) return;
      this.waiting.add(stream);
      this.schedule();
    });
  }

  private finishRound(round: Round): void {
    this.round = undefined;
    const now = this.clock.now();
    for (const reading of round.written) {
      const stamp = lastVisibleChangeAt(reading.user, now);
      if (stamp !== null) this.observer.streamDelivered(Math.max(0, now.getTime() - stamp) / 1000);
    }
    // The share of the time since the last round ended that this one worked: over `busyShare`, with events that
    // merged changes, deliveries are falling behind and the window doubles (to at least this round's length);
    // otherwise the window halves. A wider window only lightens the load once it merges changes, so under a steady
    // overload it settles within a factor of two of the narrowest window that does; under a load one core carries,
    // or one whose events hold a change each, it goes back to 0.
    const share = round.workedMs / Math.max(1, now.getTime() - this.lastRoundEndMs);
    const merging = round.eventsWritten > 0 && round.changesWritten >= MERGING_CHANGES_PER_EVENT * round.eventsWritten;
    if (share > this.options.busyShare && merging) this.windowMs = Math.min(this.options.maxWindowMs, Math.max(2 * this.windowMs, Math.ceil(round.workedMs)));
    else this.windowMs = Math.floor(this.windowMs / 2);
    this.lastRoundEndMs = now.getTime();
    this.report();
    this.schedule();
    if (this.scheduled === undefined) this.coolDown();
  }

  /** With nothing left to deliver, the window halves every window until it is 0 again, or changes come back. */
  private coolDown(): void {
    this.cooling?.cancel();
    this.cooling = undefined;
    if (this.windowMs === 0) return;
    this.cooling = this.later(() => {
      this.cooling = undefined;
      if (this.scheduled !== undefined || this.round !== undefined) return;
      this.windowMs = Math.floor(this.windowMs / 2);
      this.report();
      this.coolDown();
    }, this.windowMs);
  }

  private event(readings: PresenceReading[]): StreamEvent {
    return { cursor: this.cursor, full: false, readings };
  }

  private report(): void {
    this.observer.streamBacklog(this.windowMs / 1000, this.backlog);
  }
}
