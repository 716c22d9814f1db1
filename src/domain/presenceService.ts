import { LRUCache } from 'lru-cache';
import type { PresenceStore } from './presenceStore';
import type { PresenceUpdate, UserRecord } from './userRecord';
import { changeStampAfterWrite } from './changeStamp';
import type { Clock } from './clock';
import { effectiveStatus } from './effectiveStatus';
import { ForbiddenError, InvalidParamError, RejectedError, UnknownUserError, WriteContentionError } from './errors';
import { isAdmin, type Identity } from './identity';
import { isVisibleChange } from './isVisibleChange';
import { changedSince } from './lastVisibleChange';
import { normaliseStatusText } from './normaliseStatusText';
import { parsePnutPresence } from './pnutPresence';
import type { PresenceFeed } from './presenceFeed';
import { ignoreEvents, type PresenceObserver } from './presenceObserver';
import { resolveExpiration } from './presenceExpiration';
import { planPresenceQuery, type DeltaWindow, type PastAnswer } from './presenceQueryPlan';
import { snapshotValidUntil, type PresentSnapshot } from './presentSnapshot';
import { isStatus, type Status } from './status';

export interface PresenceOptions extends DeltaWindow {
  /** How long a presence lasts unless renewed (pnut: 15 minutes). */
  presenceTtlMs: number;
  /** How long the list of present users may be served from memory; see snapshotValidUntil. */
  cacheMaxAgeMs: number;
  /** How many callers' last answers are remembered, so their next delta is exact without repeats. */
  rememberedCallers: number;
}

/** A user's presence as read at `now`: the record, and the status every API reports for it. */
export interface PresenceReading {
  user: UserRecord;
  status: Status;
}

/** A users.presence answer, and the feed cursor it is current to. */
export type PresenceList =
  | { full: true; snapshot: PresentSnapshot; cursor: string }
  | { full: false; readings: PresenceReading[]; now: Date; cursor: string };

/** Who asks: the user, and a key for what this instance last answered them (their login token's hash). */
export interface Caller {
  userId: string;
  key: string;
}

/** How many of a caller's latest answers are remembered (several consumers of one token, an answer lost). */
const ANSWERS_PER_CALLER = 8;

/** A write refused because another changed the user since it was read is tried again, this often at most. */
const MAX_WRITE_ATTEMPTS = 8;

function byId(a: UserRecord, b: UserRecord): number {
  return a._id < b._id ? -1 : a._id > b._id ? 1 : 0;
}

function expiresEarlier(before: UserRecord, after: PresenceUpdate): boolean {
  if (before.presenceExpiresAt === null || after.presenceExpiresAt === null) return false;
  return after.presenceExpiresAt.getTime() < before.presenceExpiresAt.getTime();
}

/** Presence reads and writes for both APIs. The rules live in the small modules it calls; this class does I/O. */
export class PresenceService {
  /** Bumped by every write through this instance, so the cached snapshot never outlives a local change. */
  private localVersion = 0;
  private cached: { snapshot: PresentSnapshot; version: number; validUntilMs: number } | undefined;
  private pendingRead: { promise: Promise<PresentSnapshot>; version: number } | undefined;
  private readonly pastAnswers: LRUCache<string, PastAnswer[]>;

  constructor(
    private readonly store: PresenceStore,
    private readonly clock: Clock,
    private readonly options: PresenceOptions,
    readonly feed: PresenceFeed,
    private readonly observer: PresenceObserver = ignoreEvents,
  ) {
    // A remembered answer older than the delta window can no longer serve a delta: its `from` gets a full list.
    this.pastAnswers = new LRUCache({ max: Math.max(1, options.rememberedCallers), ttl: options.windowMs, perf: { now: () => clock.now().getTime() } });
  }

  /** Rocket.Chat's users.presence: the full list, a delta since `from`, or the listed `ids`. */
  async listPresence(query: { from?: Date; ids?: string[]; caller: Caller }): Promise<PresenceList> {
    if (query.ids !== undefined) {
      const { position, readings, now } = await this.presentAmong(query.ids);
      return { full: false, now, readings, cursor: this.feed.cursorOf(position) };
    }
    const plan = planPresenceQuery(query.from, this.clock.now(), this.options, this.pastAnswers.get(query.caller.key));
    if (plan.kind === 'full') {
      const snapshot = await this.presentUsers();
      this.remember(query.caller, { position: snapshot.position, answeredAtMs: this.clock.now().getTime() });
      return { full: true, snapshot, cursor: this.feed.cursorOf(snapshot.position) };
    }
    const position = await this.feed.sync();
    const now = this.clock.now();
    const fromFeed = plan.afterPosition === undefined ? undefined : this.feed.usersChangedAfter(plan.afterPosition);
    const users = fromFeed ?? (await this.store.findUsersChangedSince(plan.since, now)).filter((user) => changedSince(user, plan.since, now));
    this.remember(query.caller, { position, answeredAtMs: now.getTime() });
    const readings = this.readAll(users.filter((user) => user._id !== query.caller.userId), now);
    return { full: false, now, readings, cursor: this.feed.cursorOf(position) };
  }

  /** Those of `ids` whose presence is current, and the feed position the answer is current to. */
  async presentAmong(ids: readonly string[]): Promise<{ position: number; readings: PresenceReading[]; now: Date }> {
    // Any change the read below misses comes after this position, so it is safe without a feed read.
    const position = this.feed.current;
    const now = this.clock.now();
    const users = await this.store.findUsersByIds(ids);
    return { position, now, readings: this.readAll(users, now).filter((reading) => reading.status !== 'offline') };
  }

  /** Everybody whose presence is current, served from memory while nothing can have changed it. */
  presentUsers(): Promise<PresentSnapshot> {
    const nowMs = this.clock.now().getTime();
    const cached = this.cached;
    if (cached !== undefined && cached.version === this.localVersion && nowMs < cached.validUntilMs) {
      return Promise.resolve(cached.snapshot);
    }
    // Requests arriving while the store is read share that one read.
    if (this.pendingRead !== undefined && this.pendingRead.version === this.localVersion) return this.pendingRead.promise;
    const version = this.localVersion;
    const promise = this.readPresentUsers(version).finally(() => {
      if (this.pendingRead?.promise === promise) this.pendingRead = undefined;
    });
    this.pendingRead = { promise, version };
    return promise;
  }

  async readUser(userId: string): Promise<PresenceReading> {
    const user = await this.store.findUserById(userId);
    if (user === null) throw new UnknownUserError();
    return this.read(user, this.clock.now());
  }

  async readUserByUsername(username: string): Promise<PresenceReading> {
    const user = await this.store.findUserByUsername(username);
    if (user === null) throw new UnknownUserError();
    return this.read(user, this.clock.now());
  }

  /**
   * Rocket.Chat's users.setStatus. Either field may be missing (validation makes sure not both); a missing one
   * keeps its value at the moment of the write, so concurrent calls setting different fields both land. A status
   * other than offline renews the presence for the presence time to live; offline ("invisible") ends it.
   */
  async setStatus(actor: Identity, targetUserId: string, input: { status?: string; message?: string }): Promise<UserRecord> {
    if (targetUserId !== actor.userId && !isAdmin(actor)) {
      throw new ForbiddenError('Not allowed to change the status of another user', 'error-not-allowed');
    }
    if (input.status !== undefined && !isStatus(input.status)) throw new RejectedError('error-invalid-status', 'Valid status types include online | away | offline | busy');
    const statusText = input.message === undefined ? undefined : normaliseStatusText(input.message);
    return this.write(targetUserId, (current, now) => {
      // A message alone keeps the status others see: a user whose presence has expired stays offline.
      const status = (input.status as Status | undefined) ?? effectiveStatus(current, now);
      return {
        status,
        statusText: statusText ?? current.statusText,
        presenceText: null,
        presenceExpiresAt: status === 'offline' ? null : new Date(now.getTime() + this.options.presenceTtlMs),
        lastSeenAt: now,
      };
    });
  }

  /**
   * pnut's presence: `value` as pnut defines it (see parsePnutPresence), until `expiration` (Unix seconds) or for
   * the presence time to live.
   * @throws InvalidParamError naming `expiration` when it is not an acceptable time
   */
  async setPnutPresence(userId: string, value: string | undefined, expiration?: string): Promise<UserRecord> {
    const expiry = resolveExpiration(expiration, this.clock.now(), this.options.presenceTtlMs);
    if (!expiry.ok) throw new InvalidParamError('expiration', expiry.reason);
    const request = parsePnutPresence(value);
    return this.write(userId, (_current, now) => {
      const expiresAt = expiration === undefined ? new Date(now.getTime() + this.options.presenceTtlMs) : expiry.expiresAt;
      return request.kind === 'clear'
        ? { status: 'offline', statusText: '', presenceText: null, presenceExpiresAt: null, lastSeenAt: now }
        : { status: request.status, statusText: request.statusText, presenceText: request.presenceText, presenceExpiresAt: expiresAt, lastSeenAt: now };
    });
  }

  read(user: UserRecord, now: Date): PresenceReading {
    return { user, status: effectiveStatus(user, now) };
  }

  now(): Date {
    return this.clock.now();
  }

  readAll(users: readonly UserRecord[], now: Date): PresenceReading[] {
    return users.map((user) => this.read(user, now));
  }

  private remember(caller: Caller, answer: PastAnswer): void {
    if (this.options.rememberedCallers <= 0) return;
    const past = this.pastAnswers.get(caller.key) ?? [];
    this.pastAnswers.set(caller.key, [...past.slice(1 - ANSWERS_PER_CALLER), answer]);
  }

  /**
   * Reads the user, decides the update from what was read, and writes it with its change stamp in one atomic
   * write that only lands if nobody wrote the user in between; otherwise reads again and decides again.
   */
  private async write(userId: string, decide: (current: UserRecord, now: Date) => PresenceUpdate): Promise<UserRecord> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      const current = await this.store.findUserById(userId);
      if (current === null) throw new UnknownUserError();
      const now = this.clock.now();
      const update = decide(current, now);
      const visible = isVisibleChange(current, update, now);
      // The cached snapshot must go: for a visible change, and for an expiry moved earlier, which the snapshot's
      // own validity (its earliest expiry) would otherwise not notice. A snapshot read in flight is not kept.
      if (visible || expiresEarlier(current, update)) this.localVersion += 1;
      const written = await this.store.writePresence(userId, current.presenceRevision, {
        ...update,
        presenceChangedAt: changeStampAfterWrite(current, update, now),
        updatedAt: now,
      });
      if (written !== null) {
        if (visible) {
          this.observer.changeRecorded();
          this.feed.changedLocally();
        }
        return written;
      }
    }
    throw new WriteContentionError();
  }

  private async readPresentUsers(version: number): Promise<PresentSnapshot> {
    const position = await this.feed.sync();
    const takenAt = this.clock.now();
    // In id order, so a list read again with nothing changed is the same bytes with the same ETag.
    const users = (await this.store.findUsersWithPresenceAfter(takenAt)).filter((user) => effectiveStatus(user, takenAt) !== 'offline').sort(byId);
    const snapshot: PresentSnapshot = { users, takenAt, position };
    if (version === this.localVersion) {
      this.cached = { snapshot, version, validUntilMs: snapshotValidUntil(users, takenAt.getTime(), this.options.cacheMaxAgeMs) };
    }
    return snapshot;
  }
}
