import type { PresenceStore } from './presenceStore';
import type { PresenceUpdate, UserRecord } from './userRecord';
import type { Clock } from './clock';
import { effectiveStatus } from './effectiveStatus';
import { ForbiddenError, InvalidParamError, RejectedError, UnknownUserError } from './errors';
import { isAdmin, type Identity } from './identity';
import { isVisibleChange } from './isVisibleChange';
import { normaliseStatusText } from './normaliseStatusText';
import { parsePnutPresence } from './pnutPresence';
import { resolveExpiration } from './presenceExpiration';
import { planPresenceQuery, type DeltaWindow } from './presenceQueryPlan';
import { snapshotValidUntil, type PresentSnapshot } from './presentSnapshot';
import { isStatus, type Status } from './status';

export interface PresenceOptions extends DeltaWindow {
  /** How long a presence lasts unless renewed (pnut: 15 minutes). */
  presenceTtlMs: number;
  /** How long the list of present users may be served from memory; see snapshotValidUntil. */
  cacheMaxAgeMs: number;
}

/** A user's presence as read at `now`: the record, and the status every API reports for it. */
export interface PresenceReading {
  user: UserRecord;
  status: Status;
}

export type PresenceList =
  | { full: true; snapshot: PresentSnapshot }
  | { full: false; readings: PresenceReading[]; now: Date };

function byId(a: UserRecord, b: UserRecord): number {
  return a._id < b._id ? -1 : a._id > b._id ? 1 : 0;
}

function expiresEarlier(before: UserRecord, after: UserRecord): boolean {
  if (before.presenceExpiresAt === null || after.presenceExpiresAt === null) return false;
  return after.presenceExpiresAt.getTime() < before.presenceExpiresAt.getTime();
}

/** Presence reads and writes for both APIs. The rules live in the small modules it calls; this class does I/O. */
export class PresenceService {
  /** Bumped by every write through this instance, so the cached snapshot never outlives a local change. */
  private localVersion = 0;
  private cached: { snapshot: PresentSnapshot; version: number; validUntilMs: number } | undefined;
  private pendingRead: { promise: Promise<PresentSnapshot>; version: number } | undefined;

  constructor(
    private readonly store: PresenceStore,
    private readonly clock: Clock,
    private readonly options: PresenceOptions,
  ) {}

  /** Rocket.Chat's users.presence: the full list, a delta since `from`, or the listed `ids`. */
  async listPresence(query: { from?: Date; ids?: string[]; callerId: string }): Promise<PresenceList> {
    const now = this.clock.now();
    if (query.ids !== undefined) {
      const users = await this.store.findUsersByIds(query.ids);
      return { full: false, now, readings: this.readAll(users, now).filter((reading) => reading.status !== 'offline') };
    }
    const plan = planPresenceQuery(query.from, now, this.options);
    if (plan.kind === 'full') return { full: true, snapshot: await this.presentUsers() };
    const changedIds = (await this.store.findUserIdsChangedSince(plan.since, now)).filter((id) => id !== query.callerId);
    const users = changedIds.length === 0 ? [] : await this.store.findUsersByIds(changedIds);
    return { full: false, now, readings: this.readAll(users, now) };
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
   * Rocket.Chat's users.setStatus. Either field may be missing (validation makes sure not both). A status other
   * than offline renews the presence for the presence time to live; offline ("invisible") ends it.
   */
  async setStatus(actor: Identity, targetUserId: string, input: { status?: string; message?: string }): Promise<UserRecord> {
    if (targetUserId !== actor.userId && !isAdmin(actor)) {
      throw new ForbiddenError('Not allowed to change the status of another user', 'error-not-allowed');
    }
    if (input.status !== undefined && !isStatus(input.status)) throw new RejectedError('error-invalid-status', 'Valid status types include online | away | offline | busy');
    const current = await this.readUser(targetUserId);
    const now = this.clock.now();
    const status = (input.status as Status | undefined) ?? current.status;
    return this.write(targetUserId, {
      status,
      statusText: input.message === undefined ? current.user.statusText : normaliseStatusText(input.message),
      presenceText: null,
      presenceExpiresAt: status === 'offline' ? null : new Date(now.getTime() + this.options.presenceTtlMs),
      lastSeenAt: now,
    }, now);
  }

  /**
   * pnut's presence: `value` as pnut defines it (see parsePnutPresence), until `expiration` (Unix seconds) or for
   * the presence time to live.
   * @throws InvalidParamError naming `expiration` when it is not an acceptable time
   */
  async setPnutPresence(userId: string, value: string | undefined, expiration?: string): Promise<UserRecord> {
    const now = this.clock.now();
    const expiry = resolveExpiration(expiration, now, this.options.presenceTtlMs);
    if (!expiry.ok) throw new InvalidParamError('expiration', expiry.reason);
    const request = parsePnutPresence(value);
    const update: PresenceUpdate = request.kind === 'clear'
      ? { status: 'offline', statusText: '', presenceText: null, presenceExpiresAt: null, lastSeenAt: now }
      : { status: request.status, statusText: request.statusText, presenceText: request.presenceText, presenceExpiresAt: expiry.expiresAt, lastSeenAt: now };
    return this.write(userId, update, now);
  }

  read(user: UserRecord, now: Date): PresenceReading {
    return { user, status: effectiveStatus(user, now) };
  }

  now(): Date {
    return this.clock.now();
  }

  private readAll(users: readonly UserRecord[], now: Date): PresenceReading[] {
    return users.map((user) => this.read(user, now));
  }

  private async write(userId: string, update: PresenceUpdate, at: Date): Promise<UserRecord> {
    const isChange = (before: UserRecord, after: UserRecord) => {
      const changed = isVisibleChange(before, after, at);
      // The cached snapshot must go: for a visible change, and for an expiry moved earlier, which the snapshot's
      // own validity (its earliest expiry) would otherwise not notice. A snapshot read in flight is not kept.
      if (changed || expiresEarlier(before, after)) this.localVersion += 1;
      return changed;
    };
    const updated = await this.store.updatePresence(userId, update, at, isChange);
    if (updated === null) throw new UnknownUserError();
    return updated;
  }

  private async readPresentUsers(version: number): Promise<PresentSnapshot> {
    const takenAt = this.clock.now();
    // In id order, so a list read again with nothing changed is the same bytes with the same ETag.
    const users = (await this.store.findPresentUsers(takenAt)).sort(byId);
    const snapshot: PresentSnapshot = { users, takenAt };
    if (version === this.localVersion) {
      this.cached = { snapshot, version, validUntilMs: snapshotValidUntil(users, takenAt.getTime(), this.options.cacheMaxAgeMs) };
    }
    return snapshot;
  }
}
