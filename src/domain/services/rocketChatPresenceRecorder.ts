import type { Clock } from '../ports/clock';
import type { PresenceStore } from '../ports/store';
import { rocketChatChangeRecord, rocketChatWriteTime } from '../rules/changes';
import { hasUnrecordedRocketChatWrite, rocketChatPresenceOf } from '../rules/rocketChatPresence';
import type { UserRecord } from '../ports/records';

/**
 * Takes over recording a Rocket.Chat write where the user is connected to this service too: it writes the presence
 * both systems' connections make (one write, with its own change stamp), and resolves true; false when the user has
 * no live connection here, so the write is recorded as Rocket.Chat's.
 */
export type ConnectedUserRewriter = (userId: string) => Promise<boolean>;

export interface RecorderOptions {
  /**
   * How often the users whose presence Rocket.Chat may have changed without touching `_updatedAt` (as Rocket.Chat 6's
   * presence service does) are compared with what was recorded; 0 never.
   */
  scanIntervalMs: number;
}

/** Records are written this many at a time: a first start on a large Rocket.Chat database has one per present user. */
const RECORD_CONCURRENCY = 32;

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
    private readonly rewriteConnected: ConnectedUserRewriter = async () => false,
  ) {}

  /** Records every unrecorded Rocket.Chat write to a user updated since `since`, and to any user when a scan is due. */
  async recordWritesSince(since: Date): Promise<void> {
    const nowMs = this.clock.now().getTime();
    const scanDue = this.options.scanIntervalMs > 0 && nowMs - this.lastScanMs >= this.options.scanIntervalMs;
    const [updated, scanned] = await Promise.all([
      this.store.findUsersUpdatedSince(since),
      scanDue ? this.store.findUsersWithRocketChatPresence() : Promise.resolve([]),
    ]);
    if (scanDue) this.lastScanMs = nowMs;
    const unrecorded = new Map<string, { user: UserRecord; foundByUpdatedAt: boolean }>();
    for (const user of scanned) if (hasUnrecordedRocketChatWrite(user)) unrecorded.set(user._id, { user, foundByUpdatedAt: false });
    for (const user of updated) if (hasUnrecordedRocketChatWrite(user)) unrecorded.set(user._id, { user, foundByUpdatedAt: true });
    const pending = [...unrecorded.values()];
    for (let i = 0; i < pending.length; i += RECORD_CONCURRENCY) {
      await Promise.all(pending.slice(i, i + RECORD_CONCURRENCY).map(({ user, foundByUpdatedAt }) => this.record(user, foundByUpdatedAt)));
    }
  }

  private async record(user: UserRecord, foundByUpdatedAt: boolean): Promise<void> {
    // One write of this service per write of Rocket.Chat's, never a loop: the rewrite records Rocket.Chat's fields
    // as seen, so it is not found again, and Rocket.Chat writes only when its own connections change.
    if (await this.rewriteConnected(user._id)) return;
    // Dated when written, not when found, where the write has no time of its own: a stamp must not lag the
    // record's landing by more than the late-write window.
    const writtenAt = rocketChatWriteTime(user, foundByUpdatedAt, this.clock.now());
    const expected = { presenceRevision: user.presenceRevision, rocketChat: rocketChatPresenceOf(user) };
    await this.store.recordRocketChatChange(user._id, expected, rocketChatChangeRecord(user, writtenAt));
  }
}
