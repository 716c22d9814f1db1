import { fsync, closeSync, openSync } from 'node:fs';
import { setImmediate, setInterval, clearInterval } from 'node:timers';
import type { Database } from 'better-sqlite3';
import { StoreUnavailableError } from '../../domain/ports/store';

/**
 * How long a write must last before its answer (issue 21: presence is ephemeral, accounts are not):
 * - `synced`: on disk (fsync) before it resolves: it survives a power cut. Users, passwords, login tokens.
 * - `committed`: committed to the write-ahead log before it resolves, so it survives a killed process, but not
 *   fsynced on the event loop: the log is fsynced off it within `SYNC_INTERVAL_MS`, so a power cut loses at most
 *   that last moment. Presence, connections, tickets, login-attempt counters: clients re-assert them.
 */
export type Durability = 'synced' | 'committed';

/** What one commit was: how many writes it held and whether it was fsynced before they were answered. */
export interface CommitReport {
  writes: number;
  synced: boolean;
}

interface QueuedWrite {
  write: () => unknown;
  /** Several statements: run in a savepoint of its own, so a failure undoes all of them and nothing else. */
  inSavepoint: boolean;
  durability: Durability;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A committed-only write reaches the disk this soon: the bound on what a power cut may lose. */
export const SYNC_INTERVAL_MS = 1000;

export interface GroupCommitOptions {
  /** Called when a batch's commit fails, before its writes are rejected. */
  onCommitFailed?: () => void;
  /** Called after each commit, before its writes are answered (tests, metrics). */
  onCommit?: (report: CommitReport) => void;
  /** The write-ahead log's path: committed-only batches are fsynced through it off the event loop. */
  walFile?: string;
}

/**
 * Group commit: the writes asked for during one turn of the event loop run together in one transaction at the end
 * of it, and each caller hears back only once its write is committed. A batch holding a `synced` write is committed
 * with `synchronous=FULL` (one fsync makes every write of it durable); a batch of `committed` writes only with
 * `synchronous=NORMAL`, which in WAL mode writes the log without an fsync: the event loop never waits for the disk
 * on the presence path, and a timer fsyncs the log in the thread pool once a second when such a batch was written.
 * Each write still runs alone, with its own conditions and its own result: one that throws is undone by itself (a
 * single statement by SQLite, several by their savepoint) and rejects by itself. (setImmediate comes from
 * node:timers, not the global a test may fake: this is the store's own scheduling, not the service's time.)
 */
export class GroupCommit {
  private queued: QueuedWrite[] = [];
  private scheduled = false;
  private synchronousFull: boolean | undefined;
  private unsynced = false;
  private syncTimer: NodeJS.Timeout | undefined;
  private readonly runBatch: (batch: readonly QueuedWrite[]) => Outcome[];

  constructor(
    private readonly db: Database,
    private readonly options: GroupCommitOptions = {},
  ) {
    // A transaction function called inside another runs as a savepoint of it.
    const inSavepoint = db.transaction((write: () => unknown) => write());
    this.runBatch = db.transaction((batch: readonly QueuedWrite[]) =>
      batch.map((queued): Outcome => {
        try {
          return { ok: true, value: queued.inSavepoint ? inSavepoint(queued.write) : queued.write() };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
  }

  /** Runs `write`, one statement (SQLite undoes a statement that fails), in the next batch; resolves once it lasts as `durability` says. */
  run<T>(durability: Durability, write: () => T): Promise<T> {
    return this.enqueue(write, false, durability);
  }

  /** Runs `write`, several statements, in the next batch, in a savepoint of its own; resolves once it is committed. */
  runInSavepoint<T>(durability: Durability, write: () => T): Promise<T> {
    return this.enqueue(write, true, durability);
  }

  /** Commits the queued writes now: before a read that must see every write asked for so far. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queued;
    if (batch.length === 0) return;
    this.queued = [];
    const synced = batch.some((queued) => queued.durability === 'synced');
    let outcomes: Outcome[];
    try {
      this.setSynchronous(synced);
      outcomes = this.runBatch(batch);
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of the batch is stored.
      this.options.onCommitFailed?.();
      const unavailable = new StoreUnavailableError(`write not stored: ${(error as { message?: unknown }).message ?? String(error)}`);
      for (const queued of batch) queued.reject(unavailable);
      return;
    }
    // A FULL commit fsyncs the log, and with it every earlier frame.
    this.unsynced = !synced;
    if (!synced) this.startSyncTimer();
    this.options.onCommit?.({ writes: batch.length, synced });
    batch.forEach((queued, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) queued.resolve(outcome.value);
      else queued.reject(outcome.error);
    });
  }

  /** Commits what is queued and stops the log's timer: before the database closes. */
  close(): void {
    this.flush();
    clearInterval(this.syncTimer);
    this.syncTimer = undefined;
  }

  private setSynchronous(full: boolean): void {
    if (this.synchronousFull === full) return;
    // Outside any transaction: SQLite applies the setting to the next commit.
    this.db.pragma(`synchronous = ${full ? 'FULL' : 'NORMAL'}`);
    this.synchronousFull = full;
  }

  private startSyncTimer(): void {
    if (this.syncTimer !== undefined || this.options.walFile === undefined) return;
    const walFile = this.options.walFile;
    this.syncTimer = setInterval(() => {
      if (!this.unsynced) return;
      this.unsynced = false;
      syncFile(walFile);
    }, SYNC_INTERVAL_MS);
    this.syncTimer.unref();
  }

  private enqueue<T>(write: () => T, inSavepoint: boolean, durability: Durability): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ write, inSavepoint, durability, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }
}

/**
 * fsync of a file in libuv's thread pool, never on the event loop. Linux flushes a file's data whatever descriptor
 * asks, so a read-only one of the log does. The log exists from the first commit on (SQLite keeps it while the
 * exclusive connection is open).
 */
function syncFile(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return;
  }
  fsync(fd, () => closeSync(fd));
}
