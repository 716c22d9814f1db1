import type { PresenceRenewal, PresenceVersion, PresenceWrite, RemovedUser, RocketChatChange, UserRecord } from './records';

/**
 * Presence and its change log. A user's presence is the fields of his record that PresenceWrite sets, computed by
 * the domain from his connections (ConnectionStore, the other half of the presence model: its bulk renewal pushes
 * the users' presence expiry) and his chosen status; every write carries a change stamp, and the finders of changes
 * read the stamps. Stores persist and query by index; who is present and what changed is decided by the domain, so
 * the finders return candidates the domain then filters. Every finder returns records without `credentials`.
 * tests/storage/presenceStore.contract.test.ts holds both stores to the same answers.
 */
export interface PresenceStore {
  /**
   * How long after its stamp a presence write may still become visible to readers: a write in flight, or another
   * instance's clock running behind. Readers of changes look back this far. 0 for one process.
   */
  readonly lateWriteWindowMs: number;
  /**
   * Whether programs other than this service write presence into the users (Rocket.Chat, on its own database): then
   * their writes have to be found (findUsersUpdatedSince, findUnrecordedRocketChatPresences) and recorded.
   */
  readonly externalWriters: boolean;

  /**
   * Candidates for the present list: every user whose presence of this service expires after `now`, and every user
   * with no such expiry whose status is one of `statuses` (the domain's PRESENT_STATUSES).
   */
  findPresentCandidates(now: Date, statuses: readonly string[]): Promise<UserRecord[]>;
  /**
   * Candidates for the changes since `since`: every user whose change stamp is at or after `since`, and every user
   * whose presence expiry is in [since, now], whatever the status (whether that expiry was a change clients saw is
   * the domain's to decide: changedSince).
   */
  findUsersChangedSince(since: Date, now: Date): Promise<UserRecord[]>;
  /** The users removed at or after `since` that are still remembered (AccountStore.removeUser). */
  findUsersRemovedSince(since: Date): Promise<RemovedUser[]>;
  /** Every user whose document was written at or after `since` (`updatedAt`: Rocket.Chat's `_updatedAt`); [] without external writers. */
  findUsersUpdatedSince(since: Date): Promise<UserRecord[]>;
  /**
   * Where a presence write that did not touch `_updatedAt` (Rocket.Chat 6) is found: every user whose `status`
   * differs from the one last recorded (`presenceSeen`) as one of `statuses.present` or not, or whose
   * `statusConnection` differs from the one recorded as one of `statuses.connected` or not; and every user never
   * recorded whose status is one of `statuses.present`. Through indexes on those pairs of fields, so it costs what
   * differs, not what is present. [] without external writers.
   */
  findUnrecordedRocketChatPresences(statuses: { present: readonly string[]; connected: readonly string[] }): Promise<UserRecord[]>;
  /** The users whose timed status ended at or before `now` (ids, at most `limit`, earliest first). */
  findTimedStatusesEndedBy(now: Date, limit: number): Promise<string[]>;

  /**
   * One atomic write of a presence and its change stamp, applied only if the user is still at `expected` (this
   * service's revision and Rocket.Chat's presence fields); the revision then moves on by one. Returns the written
   * user, or null when no user with that id is at that version (unknown, or written by someone else since).
   */
  writePresence(userId: string, expected: PresenceVersion, write: PresenceWrite): Promise<UserRecord | null>;
  /**
   * writePresence of a renewal (presenceRenewalOf): on the same terms, but only its fields are written, so the
   * write costs what they cost (on SQLite, the row and the expiry indexes it moves in, not every index of the presence).
   */
  renewPresence(userId: string, expected: PresenceVersion, renewal: PresenceRenewal): Promise<UserRecord | null>;
  /**
   * Records presences Rocket.Chat wrote (each: its stamp, the fields seen, no expiry and no pnut string of this
   * service's), each on the same terms as writePresence (it lands only on the user at `expected`), all in one round
   * trip; `updatedAt` is left as Rocket.Chat set it. Resolves with how many landed.
   */
  recordRocketChatChanges(changes: readonly RocketChatChange[]): Promise<number>;
}
