import type { Clock } from '../ports/clock';
import type { Scheduled, Timers } from '../ports/timers';
import { firstIndexAbove } from '../../utils';
import { changeSince, expiryChangeAt } from '../rules/changes';
import { withRemovals } from '../rules/accountAdministration';
import { ignoreEvents, type PresenceObserver } from '../ports/observer';
import type { PresenceStore } from '../ports/presenceStore';
import type { UserRecord } from '../ports/records';

export interface FeedOptions {
  /** How long what the feed read is kept for streams catching up. */
  keepMs: number;
  /** How often the store is read while anyone listens, so changes made elsewhere and expiries arrive unasked. */
  pollIntervalMs: number;
}

/** The users whose presence changed in one read; `position` orders batches, `readAtMs` is the read's start. */
export interface FeedBatch {
  position: number;
  /** Every change committed before this instant is in this batch or an earlier one: the batch's cursor. */
  readAtMs: number;
  users: UserRecord[];
}

export type FeedListener = (batch: FeedBatch) => void;

/** A listener's way into the feed at a position (PresenceFeed.join). */
export interface FeedJoin {
  /**
   * What changed after the position joined at, each user's latest record: current to the feed's position (every
   * later batch goes to the listener) and to the instant its last read started.
   */
  caughtUp: FeedBatch;
  /** Stops the batches of this join (idempotent). */
  leave(): void;
}

/** Records, before a read, the presence writes that programs other than this service made since `since`. */
export type ExternalWritesRecorder = (since: Date) => Promise<void>;

/**
 * This instance's reader of presence changes, for its open streams: one read at a time, each from the previous
 * read's start less the store's late-write window, recognising a change it has already passed on by its stamp. So
 * a listener gets each change once, whichever instance (or Rocket.Chat) made it and however late it landed within
 * the window. Expiries come in through the same read: an expired presence is a change stamped with its expiry.
 * What it read is kept a while, so a stream that opens can catch up with what arrived during its first read: a
 * stream enters through `join`, at a position `sync` gave it, and gets its catch-up and its batches in one step.
 */
export class PresenceFeed {
  private position = 0;
  private lastReadAt = 0;
  /** Entries in position order: the user that changed, its position, when it was read; `head` skips trimmed ones. */
  private readonly entryUserIds: string[] = [];
  private readonly entryPositions: number[] = [];
  private readonly entryReadAtMs: number[] = [];
  private head = 0;
  /** The last record read of each user with a kept entry, and that entry's position. */
  private readonly latest = new Map<string, { user: UserRecord; position: number }>();
  /** Stamps already passed on that a read may still return: those inside the late-write window. */
  private readonly seenStamps = new Map<string, number>();
  private lastReadStartMs: number | undefined;
  private inFlight: Promise<number> | undefined;
  private queued: Promise<number> | undefined;
  /** Each listener with the number of its joins not yet left: called once per batch however many. */
  private readonly listeners = new Map<FeedListener, number>();
  private poller: Scheduled | undefined;

  constructor(
    private readonly store: PresenceStore,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly options: FeedOptions,
    private readonly recordExternalWrites: ExternalWritesRecorder | undefined,
    private readonly observer: PresenceObserver = ignoreEvents,
    private readonly onPollError: (error: unknown) => void = () => undefined,
  ) {}

  /** The position of the last completed read. */
  get current(): number {
    return this.position;
  }

  /** When the last completed read started: every change committed before it has been read. */
  get lastReadAtMs(): number {
    return this.lastReadAt;
  }

  /**
   * Reads the store for changes and resolves with the position that includes every change committed before this
   * call. A read already running may have started too early, so such a call waits for the next one.
   */
  sync(): Promise<number> {
    if (this.queued !== undefined) return this.queued;
    if (this.inFlight === undefined) return this.launchRead();
    this.queued = this.inFlight.catch(() => undefined).then(() => {
      this.queued = undefined;
      return this.launchRead();
    });
    return this.queued;
  }

  /**
   * Joins the feed at `position` (one `sync` gave out, still kept): gives what changed after it and calls `listener`
   * with every batch from then on, in one synchronous step, so no batch falls between the two or reaches both. The
   * store is read every poll interval while anyone listens. A listener joined several times hears each batch once.
   */
  join(position: number, listener: FeedListener): FeedJoin {
    const caughtUp: FeedBatch = { position: this.position, readAtMs: this.lastReadAt, users: this.usersChangedAfter(position) };
    this.listeners.set(listener, (this.listeners.get(listener) ?? 0) + 1);
    if (this.poller === undefined) this.poller = this.timers.every(() => this.sync().catch(this.onPollError), this.options.pollIntervalMs);
    let left = false;
    const leave = (): void => {
      if (left) return;
      left = true;
      const joins = (this.listeners.get(listener) as number) - 1;
      if (joins > 0) this.listeners.set(listener, joins);
      else this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
    return { caughtUp, leave };
  }

  /** A change was just written through this instance: listeners should not wait for the next poll. */
  changedLocally(): void {
    if (this.listeners.size > 0) this.sync().catch(this.onPollError);
  }

  stop(): void {
    this.poller?.cancel();
    this.poller = undefined;
  }

  /** The latest record of each user that changed after `position`. */
  private usersChangedAfter(position: number): UserRecord[] {
    const userIds = new Set<string>();
    for (let i = firstIndexAbove(this.entryPositions, position, this.head); i < this.entryUserIds.length; i += 1) userIds.add(this.entryUserIds[i]);
    return [...userIds].map((userId) => (this.latest.get(userId) as { user: UserRecord }).user);
  }

  private launchRead(): Promise<number> {
    const read = this.read().finally(() => {
      if (this.inFlight === read) this.inFlight = undefined;
    });
    this.inFlight = read;
    return read;
  }

  private async read(): Promise<number> {
    const startMs = this.clock.now().getTime();
    const sinceMs = (this.lastReadStartMs ?? startMs) - this.store.lateWriteWindowMs;
    const start = new Date(startMs);
    const since = new Date(sinceMs);
    if (this.recordExternalWrites !== undefined) await this.recordExternalWrites(since);
    // A removed user's last change is his going (removedUserRecord).
    const [changedUsers, removed] = await Promise.all([this.store.findUsersChangedSince(since, start), this.store.findUsersRemovedSince(since)]);
    const candidates = withRemovals(changedUsers, removed);
    const changed: UserRecord[] = [];
    for (const user of candidates) {
      const stamp = changeSince(user, since, start);
      if (stamp === null || this.seenStamps.get(user.id) === stamp) continue;
      this.seenStamps.set(user.id, stamp);
      if (stamp === expiryChangeAt(user, start)) this.observer.expirySeen();
      changed.push(user);
    }
    this.lastReadStartMs = startMs;
    this.lastReadAt = startMs;
    this.forgetStampsBefore(startMs - this.store.lateWriteWindowMs);
    this.trimReadBefore(startMs - this.options.keepMs);
    if (changed.length === 0) return this.position;
    this.position += 1;
    for (const user of changed) {
      this.entryUserIds.push(user.id);
      this.entryPositions.push(this.position);
      this.entryReadAtMs.push(startMs);
      this.latest.set(user.id, { user, position: this.position });
    }
    const batch: FeedBatch = { position: this.position, readAtMs: startMs, users: changed };
    for (const listener of this.listeners.keys()) listener(batch);
    return this.position;
  }

  private forgetStampsBefore(cutoffMs: number): void {
    for (const [userId, stamp] of this.seenStamps) if (stamp < cutoffMs) this.seenStamps.delete(userId);
  }

  private trimReadBefore(cutoffMs: number): void {
    while (this.head < this.entryReadAtMs.length && this.entryReadAtMs[this.head] < cutoffMs) {
      const userId = this.entryUserIds[this.head];
      if (this.latest.get(userId)?.position === this.entryPositions[this.head]) this.latest.delete(userId);
      this.head += 1;
    }
    // Cut the arrays in bulk, never on every read, so trimming never copies the whole log each time.
    if (this.head > 1024 && this.head * 2 > this.entryUserIds.length) {
      this.entryUserIds.splice(0, this.head);
      this.entryPositions.splice(0, this.head);
      this.entryReadAtMs.splice(0, this.head);
      this.head = 0;
    }
  }
}
