import type { AccountService } from './accountService';
import type { Clock } from '../ports/clock';
import { StreamsUnavailableError, TooManyStreamsError } from '../errors';
import type { Identity } from '../rules/accounts';
import { formatCursor, parseCursor } from '../rules/cursors';
import type { FeedBatch, FeedJoin } from './presenceFeed';
import { ignoreEvents, type PresenceObserver } from '../ports/observer';
import type { PresenceService } from './presenceService';
import type { PresenceReading } from '../ports/records';
import type { PresentSnapshot } from '../rules/changes';
import { StreamDelivery, type Delivered, type DeliveryOptions } from './streamDelivery';
import type { UserRecord } from '../ports/records';
import type { StreamEvent, StreamSink } from '../ports/streams';
import type { Scheduled, Timers } from '../ports/timers';

export interface StreamLimits {
  maxPerUser: number;
  maxPerInstance: number;
  keepAliveMs: number;
  /** How often open streams' login tokens are checked again, so a logout anywhere closes them. */
  revalidateMs: number;
  /** How changes are written when they come faster than one core can write them (StreamDelivery). */
  delivery: DeliveryOptions;
}

interface OpenStream {
  identity: Identity;
  sink: StreamSink;
  delivered: Delivered;
  /** Its place among the feed's listeners. */
  feed: FeedJoin;
  /** Its device's connection (issue 20), when streams count as connections. */
  connectionId: string | undefined;
  /** Until when its login token authenticates, as the last check read it (ms); NaN before the first check. */
  tokenLiveUntilMs: number;
}

/** How streams become connections: ConnectionService, or nothing when streams only watch (STREAM_CONNECTIONS=false). */
export interface StreamConnections {
  streamOpened(identity: Identity): Promise<string>;
  /** Never rejects: a failure is reported where the connections' other background failures are. */
  streamClosed(connectionId: string): Promise<void>;
}

/**
 * Token checks of open streams go to the store in batches of this many, one batch per turn of the event loop: the
 * embedded store answers at once, so 10 000 streams read in one go held deliveries up for about 150 ms.
 */
const REVALIDATE_BATCH = 250;
/** Keep-alives are written this many at a time between turns of the event loop. */
const KEEP_ALIVE_SLICE = 1000;

function among(readings: readonly PresenceReading[], ids: ReadonlySet<string> | undefined): readonly PresenceReading[] {
  return ids === undefined ? readings : readings.filter((reading) => ids.has(reading.user.id));
}

/**
 * This instance's open presence streams: a snapshot or a resume when one opens, then every batch of the feed
 * (through StreamDelivery, which indexes them by watched user and coalesces under load), keep-alives, and the
 * limits. Each stream joins the feed at the position of its snapshot or resume; all streams share one listener,
 * so each batch's readings are made once.
 */
export class PresenceStreams {
  private readonly streams = new Set<OpenStream>();
  private readonly delivery: StreamDelivery;
  /** The snapshot event of each present-user list, made once for every unfiltered stream that opens on it. */
  private readonly snapshotEvents = new WeakMap<PresentSnapshot, StreamEvent>();
  private readonly perUser = new Map<string, number>();
  private reserved = 0;
  /** Set by closeAll: a stream still opening then is refused, so none outlives the shutdown. */
  private closing = false;
  /** The keep-alive and revalidation rounds, while any stream is open. */
  private rounds: Scheduled[] = [];
  private readonly onBatch = (batch: FeedBatch): void => this.deliver(batch);

  constructor(
    private readonly presence: PresenceService,
    private readonly accounts: AccountService,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly limits: StreamLimits,
    private readonly observer: PresenceObserver = ignoreEvents,
    private readonly onRevalidateError: (error: unknown) => void = () => undefined,
    private readonly connections: StreamConnections | undefined = undefined,
  ) {
    this.delivery = new StreamDelivery(clock, limits.delivery, timers.later, observer);
  }

  get count(): number {
    return this.streams.size;
  }

  /**
   * Whether a stream of this user would be let in now, without opening one (HEAD).
   * @throws TooManyStreamsError, StreamsUnavailableError
   */
  admits(userId: string): void {
    this.checkLimits(userId);
  }

  /**
   * Opens a stream: checks the limits (before anything is sent, so a refusal is a plain error answer), then sends
   * what the client lacks: after a known `lastEventId` the changes since, else every present user (of `ids`).
   * @returns stop, to call when the connection ends
   * @throws TooManyStreamsError, StreamsUnavailableError (also when the instance began shutting down meanwhile)
   */
  async open(identity: Identity, ids: readonly string[] | undefined, lastEventId: string | undefined, sink: StreamSink): Promise<() => void> {
    this.reserve(identity.userId);
    const wanted = ids === undefined ? undefined : new Set(ids);
    let registered: OpenStream | undefined;
    let connectionId: string | undefined;
    let joined: FeedJoin | undefined;
    try {
      // First: the user is present from here on, in this stream's own snapshot and in every other stream.
      if (this.connections !== undefined) connectionId = await this.connections.streamOpened(identity);
      // Every change the feed reads after this position reaches the stream when it joins; the read below has the rest.
      const position = await this.presence.feedPosition();
      const cursorMs = lastEventId === undefined ? undefined : parseCursor(lastEventId);
      const plan = this.presence.planSince(cursorMs === undefined ? undefined : new Date(cursorMs));
      let currentToMs: number;
      if (plan.kind === 'changes') {
        // A resume, on this instance or any other: what changed since the cursor (less the overlap), no snapshot.
        const { users, now } = await this.presence.changesSince(plan.since);
        const missed = among(this.presence.readAll(users, now), wanted);
        currentToMs = now.getTime();
        if (missed.length > 0) sink.send({ cursor: formatCursor(currentToMs), full: false, readings: missed });
      } else {
        const initial = await this.initialEvent(wanted);
        if (this.closing) throw new StreamsUnavailableError('closing');
        currentToMs = initial.currentToMs;
        sink.send(initial.event);
      }
      if (this.closing) throw new StreamsUnavailableError('closing');
      joined = this.presence.joinFeed(position, this.onBatch);
      const { caughtUp } = joined;
      const missed = among(this.readingsOf(caughtUp.users), wanted);
      if (missed.length > 0) sink.send({ cursor: formatCursor(Math.max(currentToMs, caughtUp.readAtMs)), full: false, readings: missed });
      registered = { identity, sink, delivered: this.delivery.add(sink, ids, caughtUp.position), feed: joined, connectionId, tokenLiveUntilMs: Number.NaN };
      this.streams.add(registered);
      this.observer.streamsOpen(this.streams.size);
      this.startSharedWork();
    } finally {
      this.reserved -= 1;
      if (registered === undefined) {
        joined?.leave();
        this.release(identity.userId);
        if (connectionId !== undefined) this.endConnection(connectionId);
      }
    }
    const stream = registered;
    return () => this.remove(stream);
  }

  /** Closes the streams opened with this login token (its logout). */
  closeToken(hashedToken: string): void {
    for (const stream of this.streams) if (stream.identity.hashedToken === hashedToken) this.close(stream);
  }

  /** Closes the streams of this user (deactivated or removed). */
  closeUser(userId: string): void {
    for (const stream of this.streams) if (stream.identity.userId === userId) this.close(stream);
  }

  /** Closes every stream (shutdown): clients resume elsewhere. Streams still opening are refused. */
  closeAll(): void {
    this.closing = true;
    // First, so the delivery index is dropped whole rather than stream by stream.
    this.stopSharedWork();
    for (const stream of this.streams) this.close(stream);
  }

  private checkLimits(userId: string): number {
    if (this.closing) throw new StreamsUnavailableError('closing');
    if (this.streams.size + this.reserved >= this.limits.maxPerInstance) throw new StreamsUnavailableError('full');
    const ofUser = this.perUser.get(userId) ?? 0;
    if (ofUser >= this.limits.maxPerUser) throw new TooManyStreamsError();
    return ofUser;
  }

  private reserve(userId: string): void {
    this.perUser.set(userId, this.checkLimits(userId) + 1);
    this.reserved += 1;
  }

  private release(userId: string): void {
    const left = (this.perUser.get(userId) ?? 1) - 1;
    if (left === 0) this.perUser.delete(userId);
    else this.perUser.set(userId, left);
  }

  /**
   * The snapshot to open with, and the time it is current to; without `ids`, one event object per present-user list
   * (and cursor), shared by the streams opening on it.
   */
  private async initialEvent(ids: ReadonlySet<string> | undefined): Promise<{ currentToMs: number; event: StreamEvent }> {
    if (ids !== undefined) {
      const { readings, now } = await this.presence.presentAmong([...ids]);
      return { currentToMs: now.getTime(), event: { cursor: formatCursor(now.getTime()), full: true, readings } };
    }
    const { snapshot, currentToMs } = await this.presence.presentUsers();
    // The event keeps the cursor of the first stream that opened on this list: the list is current to at least that
    // point, and a resume from an earlier cursor repeats a change, never misses one. A cursor of each stream's own
    // would make, and render, the whole list again for every stream.
    let event = this.snapshotEvents.get(snapshot);
    if (event === undefined) {
      event = { cursor: formatCursor(currentToMs), full: true, readings: this.presence.readAll(snapshot.users, snapshot.takenAt) };
      this.snapshotEvents.set(snapshot, event);
    }
    return { currentToMs, event };
  }

  private readingsOf(users: readonly UserRecord[]): PresenceReading[] {
    return this.presence.readAll(users, this.clock.now());
  }

  private deliver(batch: FeedBatch): void {
    this.delivery.deliver(batch.position, formatCursor(batch.readAtMs), this.readingsOf(batch.users));
  }

  private close(stream: OpenStream): void {
    if (!this.remove(stream)) return;
    stream.sink.close();
  }

  /** false when it was already gone. */
  private remove(stream: OpenStream): boolean {
    if (!this.streams.delete(stream)) return false;
    this.delivery.remove(stream.delivered);
    stream.feed.leave();
    this.observer.streamsOpen(this.streams.size);
    this.release(stream.identity.userId);
    // At shutdown the connections are left to lapse: their clients reconnect to another instance meanwhile.
    if (stream.connectionId !== undefined && !this.closing) this.endConnection(stream.connectionId);
    if (this.streams.size === 0) this.stopSharedWork();
    return true;
  }

  private endConnection(connectionId: string): void {
    void this.connections?.streamClosed(connectionId);
  }

  private startSharedWork(): void {
    if (this.rounds.length > 0) return;
    this.rounds = [
      // Twice a heartbeat: a sink skips the comment when it wrote since the last call, so none is silent longer.
      this.timers.every(() => this.keepAliveRound(), this.limits.keepAliveMs / 2),
      this.timers.every(() => this.revalidate().catch(this.onRevalidateError), this.limits.revalidateMs),
    ];
  }

  /** Keep-alives for every stream, a slice at a time, so thousands of idle streams never hold up deliveries. */
  private keepAliveRound(): void {
    const streams = [...this.streams];
    const slice = (from: number): void => {
      const to = Math.min(streams.length, from + KEEP_ALIVE_SLICE);
      for (let k = from; k < to; k += 1) streams[k].sink.keepAlive();
      if (to < streams.length) this.timers.later(() => slice(to), 0);
    };
    slice(0);
  }

  private stopSharedWork(): void {
    this.delivery.stop();
    for (const round of this.rounds) round.cancel();
    this.rounds = [];
  }

  /**
   * Closes the streams whose login token no longer authenticates (logged out, revoked or expired, on any instance).
   * A stream opened during the check was authenticated just now: only those open when it began are checked.
   */
  private async revalidate(): Promise<void> {
    const streams = [...this.streams];
    for (let i = 0; i < streams.length; i += REVALIDATE_BATCH) {
      if (i > 0) {
        await new Promise<void>((resolve) => this.timers.later(resolve, 0));
        // Shut down, or every stream gone, meanwhile: nothing left to check, and the store may be closing.
        if (this.closing || this.streams.size === 0) return;
      }
      await this.checkTokens(streams.slice(i, i + REVALIDATE_BATCH));
    }
  }

  /**
   * One batch of the check. The tokens whose lifetime an earlier check read, and which have not outlived it, are
   * confirmed by one count (the embedded store builds nothing of their users: at rest, 10 000 streams read every few
   * seconds kept the young generation at its largest); the others, or all of them when the count falls short, are
   * read and judged. A lifetime never moves, so what a count cannot see (tokenAuthenticatesUntil: held, active, within
   * its lifetime) is only the lifetime, and that is checked here.
   */
  private async checkTokens(batch: readonly OpenStream[]): Promise<void> {
    // Closed since the check began (a logout here removed its token): counted, it would send the batch to a read.
    const open = batch.filter((stream) => this.streams.has(stream));
    const nowMs = this.clock.now().getTime();
    const known: OpenStream[] = [];
    const unread: OpenStream[] = [];
    // NaN (never read) is not later than anything.
    for (const stream of open) (stream.tokenLiveUntilMs > nowMs ? known : unread).push(stream);
    const knownHeld = known.length > 0 && (await this.accounts.tokensStillHeld(known.map((stream) => stream.identity.hashedToken)));
    // Shut down meanwhile: the store may be closing.
    if (this.closing) return;
    const toRead = knownHeld ? unread : open;
    if (toRead.length === 0) return;
    const live = await this.accounts.tokensLiveUntil(toRead.map((stream) => stream.identity.hashedToken));
    for (const stream of toRead) {
      const untilMs = live.get(stream.identity.hashedToken);
      if (untilMs === undefined) this.close(stream);
      else stream.tokenLiveUntilMs = untilMs;
    }
  }
}
