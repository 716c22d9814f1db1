import type { Clock } from '../ports/clock';
import type { PresenceStore } from '../ports/presenceStore';
import { rocketChatChangeRecord, rocketChatWriteTime } from '../rules/changes';
import { hasUnrecordedRocketChatWrite, rocketChatPresenceOf, ROCKET_CHAT_CONNECTED_STATUSES } from '../rules/rocketChatPresence';
import { PRESENT_STATUSES } from '../rules/status';
import type { RocketChatChange, UserRecord } from '../ports/records';

/**
 * Takes over recording Rocket.Chat's writes to those of these users who are connected to this service too: for each,
 * it writes the presence both systems' connections make (one write, with its own change stamp). Resolves with the
 * ids it took over; the others' writes are recorded as Rocket.Chat's. One read of connections for all of them.
 */
export type ConnectedUsersRewriter = (userIds: readonly string[]) => Promise<string[]>;

export interface RecorderOptions {
  /**
   * How often the users whose presence Rocket.Chat may have changed without touching `_updatedAt` (as Rocket.Chat 6's
   * presence service does) are compared with what was recorded; 0 never.
   */
  scanIntervalMs: number;
}

/**
 * Records are written this many to a command: a first start on a large Rocket.Chat database has one per present
 * user, and records them in a handful of commands (a few hundred kilobytes each) rather than one write each.
 */
const RECORD_BATCH = 1000;

/**
 * Finds the presence Rocket.Chat wrote into the users this service shares with it, and records each change with a
 * change stamp, in the database: the same truth for every instance, for deltas, streams and cursors alike. Reads
 * need no record (a status Rocket.Chat set is read as it is); only the order of changes does. Instances racing to
 * record the same write are harmless: the record lands on the version it was decided from, once.
 */
export class RocketChatPresenceRecorder {
  private lastScanMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly store: PresenceStore,
    private readonly clock: Clock,
    private readonly options: RecorderOptions,
    private readonly rewriteConnected: ConnectedUsersRewriter = async () => [],
  ) {}

  /** Records every unrecorded Rocket.Chat write to a user updated since `since`, and to any user when a scan is due. */
  async recordWritesSince(since: Date): Promise<void> {
    const nowMs = this.clock.now().getTime();
    const scanDue = this.options.scanIntervalMs > 0 && nowMs - this.lastScanMs >= this.options.scanIntervalMs;
    const [updated, scanned] = await Promise.all([
      this.store.findUsersUpdatedSince(since),
      scanDue ? this.store.findUnrecordedRocketChatPresences({ present: PRESENT_STATUSES, connected: ROCKET_CHAT_CONNECTED_STATUSES }) : Promise.resolve([]),
    ]);
    if (scanDue) this.lastScanMs = nowMs;
    const unrecorded = new Map<string, { user: UserRecord; foundByUpdatedAt: boolean }>();
    for (const user of scanned) if (hasUnrecordedRocketChatWrite(user)) unrecorded.set(user.id, { user, foundByUpdatedAt: false });
    for (const user of updated) if (hasUnrecordedRocketChatWrite(user)) unrecorded.set(user.id, { user, foundByUpdatedAt: true });
    const pending = [...unrecorded.values()];
    for (let i = 0; i < pending.length; i += RECORD_BATCH) await this.record(pending.slice(i, i + RECORD_BATCH));
  }

  private async record(batch: readonly { user: UserRecord; foundByUpdatedAt: boolean }[]): Promise<void> {
    // One write of this service per write of Rocket.Chat's, never a loop: the rewrite records Rocket.Chat's fields
    // as seen, so it is not found again, and Rocket.Chat writes only when its own connections change.
    const rewritten = new Set(await this.rewriteConnected(batch.map(({ user }) => user.id)));
    // Dated when written, not when found, where the write has no time of its own: a stamp must not lag the
    // record's landing by more than the late-write window.
    const now = this.clock.now();
    const changes: RocketChatChange[] = batch.filter(({ user }) => !rewritten.has(user.id)).map(({ user, foundByUpdatedAt }) => ({
      userId: user.id,
      expected: { presenceRevision: user.presenceRevision, rocketChat: rocketChatPresenceOf(user) },
      record: rocketChatChangeRecord(user, rocketChatWriteTime(user, foundByUpdatedAt, now)),
    }));
    if (changes.length > 0) await this.store.recordRocketChatChanges(changes);
  }
}
