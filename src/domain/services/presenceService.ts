import { newRandomId } from './credentials';
import type { UserDirectory } from '../ports/accountStore';
import type { ConnectionStore } from '../ports/connections';
import type { PresenceStore } from '../ports/presenceStore';
import type { PresenceReading, PresenceUpdate, PresenceWrite, Status, UserRecord } from '../ports/records';
import type { ConnectionRecord } from '../ports/connections';
import { chosenStatusOf, declarationEnd, isLive, isSamePresenceRenewed, presenceOfConnections, timedStatusEnded, withConnectionPut, type DeclarationSetBy } from '../rules/connections';
import { withRemovals } from '../rules/accountAdministration';
import { changeStampAfterWrite, lastSeenAfterWrite, isVisibleChange, changedSince, snapshotValidUntil, type PresentSnapshot } from '../rules/changes';
import type { Clock } from '../ports/clock';
import { effectiveStatus, normaliseStatusText, isStatus, isShownPresent, PRESENT_STATUSES } from '../rules/status';
import { ForbiddenError, InvalidParamError, InvalidStatusError, UnknownUserError, WriteContentionError } from '../errors';
import { isAdmin, type Identity } from '../rules/accounts';
import { namesCaller, referencedUser, type UserReference } from '../rules/userNaming';
import { parsePnutPresence, pnutStatusEnd, resolveExpiration } from '../rules/pnut';
import { formatCursor, planChangesSince, type DeltaWindow, type PresenceQueryPlan } from '../rules/cursors';
import type { FeedJoin, FeedListener, PresenceFeed } from './presenceFeed';
import { ignoreEvents, type PresenceObserver } from '../ports/observer';
import { recordedValueOf, rocketChatPresenceOf, rocketChatWroteSince } from '../rules/rocketChatPresence';
import { isLeaseRenewal, presenceRenewalOf } from '../rules/renewals';
import { withFields } from '../../utils';

export interface PresenceOptions extends DeltaWindow {
  /** How long a declaration lasts unless renewed (pnut: 15 minutes). */
  presenceTtlMs: number;
}

/**
 * What a write decides besides the connections: the chosen status (undefined keeps it), the texts, and whether it is
 * the user showing himself (pnut's `last_seen_at` moves then, unless he is invisible).
 */
interface ChosenPresence {
  statusDefault?: Status;
  /** When a timed status ends; null for none; undefined keeps it. */
  statusExpiresAt?: Date | null;
  statusText: string;
  presenceText: string | null;
  showsHimself: boolean;
}

/** A device's declaration to put with a presence write, and the one running before (undefined: a new one). */
interface Declaration {
  connection: ConnectionRecord;
  running: ConnectionRecord | undefined;
}

/** A user's record, then his connections, read in that order (see writePresence). */
interface PresenceRead {
  current: UserRecord | null;
  connections: readonly ConnectionRecord[];
}

/** A device's declaration, or none to put (see declaration()), and the read it was decided from. */
interface DeclarationDecision {
  declaration: Declaration | undefined;
  read: PresenceRead;
}

/** The present users, and the time up to which they hold every change (a cursor: see rules/cursors.ts). */
export interface PresentList {
  snapshot: PresentSnapshot;
  currentToMs: number;
}

/** A users.presence answer, and the cursor it is current to (see rules/cursors.ts). */
export type PresenceList =
  | { full: true; snapshot: PresentSnapshot; cursor: string }
  | { full: false; readings: PresenceReading[]; now: Date; cursor: string };

/** A write refused because another changed the user since it was read is tried again, this often at most. */
const MAX_WRITE_ATTEMPTS = 8;

/** Whether writing `update` over `current` would leave every field as it is (Rocket.Chat's record included). */
function changesNothing(current: UserRecord, update: PresenceUpdate): boolean {
  return (update.statusDefault === undefined || update.statusDefault === current.statusDefault)
    && (update.statusExpiresAt === undefined || update.statusExpiresAt?.getTime() === current.statusExpiresAt?.getTime())
    && update.status === current.status
    && update.statusText === current.statusText
    && update.presenceText === current.presenceText
    && update.presenceExpiresAt?.getTime() === current.presenceExpiresAt?.getTime()
    && update.lastSeenAt?.getTime() === current.lastSeenAt?.getTime()
    && current.presenceSeen !== undefined
    && !rocketChatWroteSince(current);
}

function byId(a: UserRecord, b: UserRecord): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Presence reads and writes for both APIs. The rules live in the small modules it calls; this class does I/O. */
export class PresenceService {
  private cached: { snapshot: PresentSnapshot; validUntilMs: number } | undefined;
  private latest: PresentSnapshot | undefined;
  private pendingRead: { promise: Promise<PresentSnapshot>; position: number } | undefined;

  constructor(
    private readonly store: UserDirectory & PresenceStore & ConnectionStore,
    private readonly clock: Clock,
    private readonly options: PresenceOptions,
    /** Streams enter it through feedPosition and joinFeed alone. */
    private readonly feed: PresenceFeed,
    private readonly observer: PresenceObserver = ignoreEvents,
  ) {}

  /**
   * Rocket.Chat's users.presence: the full list, the changes since `from`, or the listed `ids`. Every answer comes
   * from the database as it is, whichever instance gives it and whoever else asks with the same login token.
   */
  async listPresence(query: { from?: Date; ids?: string[]; callerId: string }): Promise<PresenceList> {
    if (query.ids !== undefined) {
      const { readings, now } = await this.presentAmong(query.ids);
      return { full: false, now, readings, cursor: formatCursor(now.getTime()) };
    }
    const plan = this.planSince(query.from);
    if (plan.kind === 'full') {
      const { snapshot, currentToMs } = await this.presentUsers();
      return { full: true, snapshot, cursor: formatCursor(currentToMs) };
    }
    const { users, now } = await this.changesSince(plan.since);
    const readings = this.readAll(users.filter((user) => user.id !== query.callerId), now);
    return { full: false, now, readings, cursor: formatCursor(now.getTime()) };
  }

  /** What a client that has everything up to `point` needs (see planChangesSince). */
  planSince(point: Date | undefined): PresenceQueryPlan {
    return planChangesSince(point, this.clock.now(), this.options);
  }

  /**
   * The users whose presence changed since `since`, as read at `now`: every change committed before `now` is in.
   * Rocket.Chat's writes are recorded first where it shares the store, so none waits for a stream to be noticed.
   */
  async changesSince(since: Date): Promise<{ users: UserRecord[]; now: Date }> {
    if (this.store.externalWriters) await this.feed.sync();
    const now = this.clock.now();
    // A removed user's last change is his going (removedUserRecord).
    const [changed, removed] = await Promise.all([this.store.findUsersChangedSince(since, now), this.store.findUsersRemovedSince(since)]);
    const users = withRemovals(changed, removed).filter((user) => changedSince(user, since, now));
    return { users, now };
  }

  /**
   * A stream's place in the feed before it reads its snapshot or resume: every change committed before this call
   * is at or before the position it resolves with, and every later one reaches whoever joins there (joinFeed).
   */
  feedPosition(): Promise<number> {
    return this.feed.sync();
  }

  /**
   * The door a stream enters the feed by, after reading its snapshot or resume: the changes after `position` (its
   * catch-up) and every batch from then on, atomically (PresenceFeed.join).
   */
  joinFeed(position: number, listener: FeedListener): FeedJoin {
    return this.feed.join(position, listener);
  }

  /** An account change that shows in presence (a user deactivated or removed): streams should not wait for the next poll. */
  changedLocally(): void {
    this.feed.changedLocally();
  }

  /** Those of `ids` whose presence is current, as read at `now`. */
  async presentAmong(ids: readonly string[]): Promise<{ readings: PresenceReading[]; now: Date }> {
    const now = this.clock.now();
    const users = await this.store.findUsersByIds(ids);
    return { now, readings: this.readAll(users.filter((user) => isShownPresent(user, now)), now) };
  }

  /**
   * Everybody whose presence is current. The list read last is served again while the feed has seen no change and
   * none of its presences has expired: what the database holds, read more cheaply.
   */
  async presentUsers(): Promise<PresentList> {
    const position = await this.feed.sync();
    // Reads after that position found nothing new: the list is current up to the last of them.
    const syncedToMs = this.feed.current === position ? this.feed.lastReadAtMs : 0;
    const snapshot = await this.snapshotAt(position);
    return { snapshot, currentToMs: Math.max(snapshot.takenAt.getTime(), syncedToMs) };
  }

  /**
   * The present list taken last (for a full list, a stream's snapshot or a scrape), whatever has changed since;
   * undefined before the first. Its `takenAt` says how old it is.
   */
  get latestSnapshot(): PresentSnapshot | undefined {
    return this.latest;
  }

  private snapshotAt(position: number): Promise<PresentSnapshot> {
    const cached = this.cached;
    if (cached !== undefined && cached.snapshot.position === position && this.clock.now().getTime() < cached.validUntilMs) return Promise.resolve(cached.snapshot);
    // Requests arriving while the store is read share that one read.
    if (this.pendingRead !== undefined && this.pendingRead.position === position) return this.pendingRead.promise;
    const promise = this.readPresentUsers(position).finally(() => {
      if (this.pendingRead?.promise === promise) this.pendingRead = undefined;
    });
    this.pendingRead = { promise, position };
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
   * The presence of the user a users.* request names (`userId`, `username` or `user`), read now: the caller's own
   * when the request names nobody or the caller himself (Rocket.Chat's isUserFromParams).
   */
  async readReferenced(caller: Identity, reference: UserReference): Promise<PresenceReading> {
    const target = namesCaller(reference, caller) ? null : referencedUser(reference);
    if (target === null) return this.readUser(caller.userId);
    return target.by === 'id' ? this.readUser(target.value) : this.readUserByUsername(target.value);
  }

  /**
   * Whose status a users.setStatus naming `reference` sets: the caller's when it names nobody or himself; another
   * user's only for an admin, who is refused before anyone is looked up (as Rocket.Chat: nobody learns who exists).
   * @throws ForbiddenError, UnknownUserError
   */
  async statusTarget(actor: Identity, reference: UserReference): Promise<string> {
    const target = namesCaller(reference, actor) ? null : referencedUser(reference);
    if (target === null) return actor.userId;
    if (!isAdmin(actor)) throw new ForbiddenError('set-status-of-another-user');
    const user = target.by === 'id' ? await this.store.findUserById(target.value) : await this.store.findUserByUsername(target.value);
    if (user === null) throw new UnknownUserError();
    return user.id;
  }

  /**
   * Rocket.Chat's users.setStatus. Either field may be missing (validation makes sure not both); a missing one
   * keeps its value at the moment of the write, so concurrent calls setting different fields both land. The status
   * is the one the user chooses; what others see comes from his connections (presenceStatus.ts). Set by a device
   * without a stream or heartbeat, it is also that device's declaration: a connection for the presence time to
   * live; a message alone renews a declaration still running, and makes none.
   */
  async setStatus(actor: Identity, targetUserId: string, input: { status?: string; message?: string; expiresAt?: Date }): Promise<UserRecord> {
    if (targetUserId !== actor.userId && !isAdmin(actor)) {
      throw new ForbiddenError('set-status-of-another-user');
    }
    if (input.status !== undefined && !isStatus(input.status)) throw new InvalidStatusError();
    if (input.expiresAt !== undefined) {
      if (input.status === undefined) throw new InvalidParamError('expiresAt', 'needs a status to end');
      if (input.expiresAt.getTime() <= this.clock.now().getTime()) throw new InvalidParamError('expiresAt', 'must be in the future');
    }
    const status = input.status as Status | undefined;
    const statusText = input.message === undefined ? undefined : normaliseStatusText(input.message);
    // Invisible adds no lease: a lease would only keep a presence nobody sees.
    const decided =
      targetUserId === actor.userId && status !== 'offline'
        ? await this.declaration(actor, new Date(this.clock.now().getTime() + this.options.presenceTtlMs), { create: status !== undefined, setBy: 'renewal', status })
        : undefined;
    return this.write(targetUserId, decided, (current) => ({
      statusDefault: status,
      // A status chosen without an end has none; a message alone keeps the status, and its end.
      statusExpiresAt: status === undefined ? undefined : input.expiresAt ?? null,
      statusText: statusText ?? current.statusText,
      presenceText: null,
      showsHimself: status !== undefined,
    }));
  }

  /**
   * pnut's presence as the client chooses it (PUT /v0/users/me/presence): `value` as pnut defines it (see
   * parsePnutPresence), until `expiration` (Unix seconds) or for the presence time to live, as the device's
   * declaration (see setStatus), whatever end it had before. Clearing it ends the user's declarations and his chosen
   * status; his streams and heartbeats go on showing him.
   * @throws InvalidParamError naming `expiration` when it is not an acceptable time
   */
  setPnutPresence(identity: Identity, value: string | undefined, expiration?: string): Promise<UserRecord> {
    return this.writePnutPresence(identity, value, expiration, 'choice');
  }

  /**
   * pnut's `update_presence=<value>` on any call: `value` as setPnutPresence sets it, for at least the time to live,
   * never ending sooner than what the client chose before (an `expiration` days ahead outlives it).
   */
  renewPnutPresence(identity: Identity, value: string): Promise<UserRecord> {
    return this.writePnutPresence(identity, value, undefined, 'renewal');
  }

  /**
   * Checks an `expiration` as setPnutPresence would, changing nothing: a PUT whose own presence gives way to its
   * `update_presence` refuses a bad one all the same.
   * @throws InvalidParamError naming `expiration` when it is not an acceptable time
   */
  checkPnutExpiration(expiration: string | undefined): void {
    this.expiryOf(expiration);
  }

  private expiryOf(expiration: string | undefined): Date {
    const expiry = resolveExpiration(expiration, this.clock.now(), this.options.presenceTtlMs);
    if (!expiry.ok) throw new InvalidParamError('expiration', expiry.reason);
    return expiry.expiresAt;
  }

  private async writePnutPresence(identity: Identity, value: string | undefined, expiration: string | undefined, setBy: DeclarationSetBy): Promise<UserRecord> {
    const expiresAt = this.expiryOf(expiration);
    const request = parsePnutPresence(value);
    if (request.kind === 'clear') {
      await this.store.removeConnections({ userId: identity.userId, kind: 'declaration' });
      return this.write(identity.userId, undefined, () => ({ statusDefault: 'online', statusExpiresAt: null, statusText: '', presenceText: null, showsHimself: false }));
    }
    // pnut's contract: every presence set carries its expiration, given or the default.
    const decided = await this.declaration(identity, expiresAt, { create: true, setBy, status: request.status });
    return this.write(identity.userId, decided, (current, now) => ({
      statusDefault: request.status,
      // A chosen expiration also ends the chosen status: a device with a stream goes back to online then.
      statusExpiresAt: pnutStatusEnd(request.status, expiration === undefined ? undefined : expiresAt, isSamePresenceRenewed(setBy, request.status, chosenStatusOf(current, now))),
      statusText: request.statusText,
      presenceText: request.presenceText,
      showsHimself: true,
    }));
  }

  /**
   * Computes the user's presence again from his connections, after one was added, renewed in its state, or ended.
   * Writes only when something changed.
   */
  recompute(userId: string): Promise<UserRecord> {
    return this.write(userId, undefined, (current) => ({ statusText: current.statusText, presenceText: current.presenceText, showsHimself: false }));
  }

  /**
   * Beside Rocket.Chat: after Rocket.Chat wrote these users' presence from its own connections only, the presence
   * both systems' connections make, written once, for each with a live connection here (one read of connections for
   * all); resolves with their ids (see RocketChatPresenceRecorder).
   */
  async rewriteConnected(userIds: readonly string[]): Promise<string[]> {
    const now = this.clock.now();
    const connected = new Set((await this.store.connectionsOfUsers(userIds)).filter((connection) => isLive(connection, now)).map((connection) => connection.userId));
    for (const userId of connected) await this.recompute(userId);
    return [...connected];
  }

  /** A timed status that has ended goes back to online, for everyone at once: the change is stamped when written. */
  endTimedStatus(userId: string): Promise<UserRecord> {
    return this.write(userId, undefined, (current, now) => ({
      ...(timedStatusEnded(current, now) ? { statusDefault: 'online', statusExpiresAt: null } : {}),
      statusText: current.statusText,
      presenceText: current.presenceText,
      showsHimself: false,
    }));
  }

  /**
   * The declaration of the device behind `identity`, running until `leaseEnd`, to be put with the presence write:
   * none where the device holds a stream or heartbeats (that is its connection); with `create` false, only one
   * still running is renewed. The same presence renewed (`status` as chosen, isSamePresenceRenewed) never shortens
   * a lease the client chose (declarationEnd). Decided from the user's record and connections, read once for the
   * presence write that follows too (an `update_presence` renewal reads the user, from the kept records on the
   * embedded store, and one list of connections).
   * @throws UnknownUserError, before any connection is put
   */
  private async declaration(identity: Identity, leaseEnd: Date, { create, setBy, status }: { create: boolean; setBy: DeclarationSetBy; status: Status | undefined }): Promise<DeclarationDecision> {
    const read = await this.readPresence(identity.userId);
    if (read.current === null) throw new UnknownUserError();
    const now = this.clock.now();
    const own = read.connections.filter((connection) => connection.hashedToken === identity.hashedToken && isLive(connection, now));
    if (own.some((connection) => connection.kind !== 'declaration')) return { declaration: undefined, read };
    const running = own.find((connection) => connection.kind === 'declaration');
    if (running === undefined && !create) return { declaration: undefined, read };
    const samePresenceRenewed = running !== undefined && isSamePresenceRenewed(setBy, status, chosenStatusOf(read.current, now));
    const expiresAt = declarationEnd(leaseEnd, running?.expiresAt, samePresenceRenewed);
    const connection: ConnectionRecord = {
      id: running?.id ?? newRandomId(),
      userId: identity.userId,
      hashedToken: identity.hashedToken,
      kind: 'declaration',
      state: 'online',
      instanceId: null,
      clientRenewed: true,
      expiresAt,
      createdAt: running?.createdAt ?? now,
    };
    return { declaration: { connection, running }, read };
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

  /**
   * Puts the device's declaration (when one was decided) and writes the presence its connections then make, both
   * asked for in the same turn, so the embedded store commits them together (one commit for a heartbeat, not two);
   * resolves once both are. A running declaration renewed is written as its lease alone. The presence write starts
   * from the read the decision was made from.
   */
  private async write(userId: string, decided: DeclarationDecision | undefined, decide: (current: UserRecord, now: Date) => ChosenPresence): Promise<UserRecord> {
    if (decided?.declaration === undefined) return this.writePresence(userId, undefined, decide, decided?.read);
    const { connection, running } = decided.declaration;
    const put = isLeaseRenewal(running, connection) ? this.store.setLease(connection.id, connection.expiresAt) : this.store.putConnection(connection);
    const [written] = await Promise.all([this.writePresence(userId, connection, decide, decided.read), put]);
    return written;
  }

  private async readPresence(userId: string): Promise<PresenceRead> {
    const current = await this.store.findUserById(userId);
    return { current, connections: current === null ? [] : await this.store.connectionsOfUser(userId) };
  }

  /**
   * Reads the user and his connections (with `putting`, a connection being put meanwhile, in place of what was
   * read of it), decides the update from what was read, and writes it with its change stamp in one atomic write
   * that only lands if nobody (this service or Rocket.Chat) wrote the presence in between; otherwise reads again and
   * decides again. A write that would change nothing is not made; one that only renews (presenceRenewalOf) writes
   * just what it moves. The first attempt may start from `firstRead`. The user is read before his connections: a
   * connection added, ended or changed in state after his record was read is followed by a presence write of its
   * own, and of the two writes the one that lands second was decided from a read made after the first landed (a
   * write that loses the version check reads again). A round's lease renewals push the expiry and move the revision
   * (ConnectionStore.renewConnections): a write decided from the leases read before one is refused and decided
   * again. Landing, it would set the expiry back to the old lease, and the user would read offline with his stream
   * open once that passed, as rounds push only expiries that have not.
   */
  private async writePresence(userId: string, putting: ConnectionRecord | undefined, decide: (current: UserRecord, now: Date) => ChosenPresence, firstRead?: PresenceRead): Promise<UserRecord> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      const read = attempt === 0 && firstRead !== undefined ? firstRead : await this.readPresence(userId);
      const current = read.current;
      if (current === null) throw new UnknownUserError();
      const connections = withConnectionPut(read.connections, putting);
      const now = this.clock.now();
      const chosen = decide(current, now);
      const statusDefault = chosen.statusDefault ?? chosenStatusOf(current, now);
      const rocketChatConnection = this.store.externalWriters ? recordedValueOf(current.statusConnection) : null;
      const presence = presenceOfConnections(connections, statusDefault, now, rocketChatConnection);
      const update: PresenceUpdate = {
        statusDefault: chosen.statusDefault,
        statusExpiresAt: chosen.statusExpiresAt,
        status: presence.status,
        statusText: chosen.statusText,
        presenceText: chosen.presenceText,
        presenceExpiresAt: presence.expiresAt,
        lastSeenAt: chosen.showsHimself ? lastSeenAfterWrite(current, presence.status, now) : current.lastSeenAt,
      };
      if (changesNothing(current, update)) return current;
      // The fields Rocket.Chat's presence is made of, as they will be: one copy of the record a write, not three.
      const presenceSeen = rocketChatPresenceOf({
        status: update.status,
        statusText: update.statusText,
        statusDefault: update.statusDefault ?? current.statusDefault,
        statusConnection: current.statusConnection,
        presenceExpiresAt: update.presenceExpiresAt,
      });
      const after = withFields(current, update);
      after.presenceSeen = presenceSeen;
      const visible = isVisibleChange(current, after, now);
      const expected = { presenceRevision: current.presenceRevision, rocketChat: rocketChatPresenceOf(current) };
      const full: PresenceWrite = withFields(update, { presenceSeen, presenceChangedAt: changeStampAfterWrite(current, after, now), updatedAt: now });
      const renewal = presenceRenewalOf(current, full);
      const written = renewal === null ? await this.store.writePresence(userId, expected, full) : await this.store.renewPresence(userId, expected, renewal);
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

  private async readPresentUsers(position: number): Promise<PresentSnapshot> {
    const takenAt = this.clock.now();
    // In id order, so a list read again with nothing changed is the same bytes with the same ETag.
    const users = (await this.store.findPresentCandidates(takenAt, PRESENT_STATUSES)).filter((user) => isShownPresent(user, takenAt)).sort(byId);
    const snapshot: PresentSnapshot = { users, takenAt, position };
    if (this.latest === undefined || this.latest.takenAt <= takenAt) this.latest = snapshot;
    if (this.feed.current === position) this.cached = { snapshot, validUntilMs: snapshotValidUntil(users) };
    return snapshot;
  }
}
