import { fsync, closeSync, openSync, statSync } from 'node:fs';
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

/** The log is folded back into the file once it holds this much (SQLite's own default: 1 000 pages of 4 KiB). */
export const CHECKPOINT_LOG_BYTES = 4 * 1024 * 1024;

/** How SQLite ends a commit: `FULL` fsyncs the log; `NORMAL` writes it; `OFF` also skips the log header's fsync. */
type Synchronous = 'FULL' | 'NORMAL' | 'OFF';

export interface GroupCommitOptions {
  /** Called when a batch's commit fails, before its writes are rejected. */
  onCommitFailed?: () => void;
  /** Called after each commit, before its writes are answered (tests, metrics). */
  onCommit?: (report: CommitReport) => void;
  /**
   * The data file's path: with it, the log is fsynced and folded back into the file off the event loop (SQLite's
   * own checkpoints, which fsync on the spot, are turned off). Without, SQLite checkpoints as it does by default.
   */
  file?: string;
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
 *
 * Checkpoints. SQLite folds the log back into the file every 1 000 pages, inside the commit that crosses the mark,
 * with three fsyncs on the spot (the log, the file, the log's new header): 50–80 ms of a stopped event loop on this
 * disk, every second under load. So the store folds it itself, without ever waiting for the disk on the event
 * loop: once the log passes CHECKPOINT_LOG_BYTES, commits wait (writes queue up, reads and streams go on) while the
 * thread pool fsyncs the log; then its pages are copied into the file with `synchronous=OFF` (no fsync, a few ms);
 * the pool fsyncs the file; the log is truncated (OFF again) and the pool fsyncs it; only then do commits go on.
 * In that order a power cut finds the log whole, or the file whole beside an empty log: never old frames over newer
 * pages, nor a truncated log beside pages not yet on disk. The first commit into the empty log writes its header
 * without an fsync (`OFF`): there is no old frame left for a torn header to bring back.
 */
export class GroupCommit {
  private queued: QueuedWrite[] = [];
  private scheduled = false;
  private synchronous: Synchronous | undefined;
  private unsynced = false;
  private syncTimer: NodeJS.Timeout | undefined;
  /** A checkpoint is under way: commits wait for it; those waiting to read every write asked for are here. */
  private checkpointing: (() => void)[] | undefined;
  /** The log was truncated and nothing committed into it since. */
  private logEmpty = false;
  private closed = false;
  private readonly runBatch: (batch: readonly QueuedWrite[]) => Outcome[];

  constructor(
    private readonly db: Database,
    private readonly options: GroupCommitOptions = {},
  ) {
    if (options.file !== undefined) db.pragma('wal_autocheckpoint = 0');
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

  /**
   * Commits the queued writes now, unless a checkpoint holds commits back (they go once it ends): before a read that
   * may as well see every write asked for so far.
   */
  flush(): void {
    this.scheduled = false;
    if (this.checkpointing !== undefined) return;
    const batch = this.queued;
    if (batch.length === 0) return;
    this.queued = [];
    const synced = batch.some((queued) => queued.durability === 'synced');
    let outcomes: Outcome[];
    try {
      this.setSynchronous(synced ? 'FULL' : this.logEmpty ? 'OFF' : 'NORMAL');
      outcomes = this.runBatch(batch);
      this.logEmpty = false;
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of the batch is stored.
      this.options.onCommitFailed?.();
      const unavailable = new StoreUnavailableError(`write not stored: ${(error as { message?: unknown }).message ?? String(error)}`);
      for (const queued of batch) queued.reject(unavailable);
      return;
    }
    // A FULL commit fsyncs the log, and with it every earlier frame.
    this.unsynced = !synced;
    this.startSyncTimer();
    this.options.onCommit?.({ writes: batch.length, synced });
    batch.forEach((queued, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) queued.resolve(outcome.value);
      else queued.reject(outcome.error);
    });
  }

  /**
   * Commits every write asked for so far, once any checkpoint under way has ended: before a read that must see
   * every write stamped before it (the finders of changes).
   */
  async commitQueued(): Promise<void> {
    while (this.checkpointing !== undefined) await new Promise<void>((resolve) => this.checkpointing?.push(resolve));
    this.flush();
  }

  /** Commits what is queued and stops the log's timer: before the database closes (which checkpoints, fsynced). */
  close(): void {
    this.closed = true;
    this.endCheckpoint();
    clearInterval(this.syncTimer);
    this.syncTimer = undefined;
  }

  private setSynchronous(mode: Synchronous): void {
    if (this.synchronous === mode) return;
    // Outside any transaction: SQLite applies the setting to the next commit or checkpoint.
    this.db.pragma(`synchronous = ${mode}`);
    this.synchronous = mode;
  }

  private startSyncTimer(): void {
    if (this.syncTimer !== undefined || this.options.file === undefined) return;
    this.syncTimer = setInterval(() => this.tendLog(), SYNC_INTERVAL_MS);
    this.syncTimer.unref();
  }

  /**
   * Once a second (and from tests): fsyncs the log in the thread pool when a commit left it unsynced, or folds it
   * back into the file once it has grown past CHECKPOINT_LOG_BYTES.
   */
  tendLog(): void {
    if (this.checkpointing !== undefined || this.closed || this.options.file === undefined) return;
    const logFile = `${this.options.file}-wal`;
    if (logBytes(logFile) >= CHECKPOINT_LOG_BYTES) this.checkpoint(this.options.file, logFile);
    else if (this.unsynced) {
      this.unsynced = false;
      syncFiles([logFile], () => undefined);
    }
  }

  /** Folds the log back into the file with every fsync in the thread pool; commits wait meanwhile (see the class). */
  private checkpoint(file: string, logFile: string): void {
    this.checkpointing = [];
    // Each step only once the one before is on disk: the log, then the file it was copied into, then its truncation.
    syncFiles([logFile], () => {
      if (!this.checkpointStep('wal_checkpoint(PASSIVE)')) return;
      syncFiles([file], () => {
        if (!this.checkpointStep('wal_checkpoint(TRUNCATE)')) return;
        this.unsynced = false;
        syncFiles([logFile], () => {
          if (this.closed) return;
          this.logEmpty = true;
          this.endCheckpoint();
        });
      });
    });
  }

  /** One step of a checkpoint, without an fsync; false when it did not happen (closed, or failed: the next tick tries again). */
  private checkpointStep(step: string): boolean {
    if (this.closed) return false;
    try {
      this.setSynchronous('OFF');
      this.db.pragma(step);
      return true;
    } catch {
      // The log stays whole, and so does every write in it.
      this.endCheckpoint();
      return false;
    }
  }

  private endCheckpoint(): void {
    const waiting = this.checkpointing ?? [];
    this.checkpointing = undefined;
    this.flush();
    for (const resume of waiting) resume();
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

/** The log's size: it grows until a checkpoint truncates it. 0 when there is none. */
function logBytes(logFile: string): number {
  try {
    return statSync(logFile).size;
  } catch {
    return 0;
  }
}

/**
 * fsyncs the files in libuv's thread pool, never on the event loop, then calls `done` (whether they were synced or
 * not: a file that cannot be opened has nothing of ours to sync). Linux flushes a file's data whatever descriptor
 * asks, so a read-only one does. The log exists from the first commit on (SQLite keeps it while the exclusive
 * connection is open).
 */
function syncFiles(files: readonly string[], done: () => void): void {
  let left = files.length;
  const finished = () => {
    left -= 1;
    if (left === 0) done();
  };
  for (const file of files) {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      finished();
      continue;
    }
    fsync(fd, () => {
      closeSync(fd);
      finished();
    });
  }
}
