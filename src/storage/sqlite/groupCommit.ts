import { setImmediate } from 'node:timers';
import type { Database } from 'better-sqlite3';
import { StoreUnavailableError } from '../../domain/ports/store';

interface QueuedWrite {
  write: () => unknown;
  /** Several statements: run in a savepoint of its own, so a failure undoes all of them and nothing else. */
  inSavepoint: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit: the writes asked for during one turn of the event loop run together in one transaction at the end
 * of it, so one fsync makes them all durable, and each caller hears back only once its write is on disk. Each
 * write still runs alone, with its own conditions and its own result: one that throws is undone by itself (a
 * single statement by SQLite, several by their savepoint) and rejects by itself. (setImmediate comes from
 * node:timers, not the global a test may fake: this is the store's own scheduling, not the service's time.)
 */
export class GroupCommit {
  private queued: QueuedWrite[] = [];
  private scheduled = false;
  private readonly runBatch: (batch: readonly QueuedWrite[]) => Outcome[];

  /** @param onCommitFailed called when a batch's commit fails, before its writes are rejected */
  constructor(
    db: Database,
    private readonly onCommitFailed: () => void = () => undefined,
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

  /** Runs `write`, one statement (SQLite undoes a statement that fails), in the next batch; resolves once it is committed. */
  run<T>(write: () => T): Promise<T> {
    return this.enqueue(write, false);
  }

  /** Runs `write`, several statements, in the next batch, in a savepoint of its own; resolves once it is committed. */
  runInSavepoint<T>(write: () => T): Promise<T> {
    return this.enqueue(write, true);
  }

  /** Commits the queued writes now: before a read that must see every write asked for so far. */
  flush(): void {
    this.scheduled = false;
    const batch = this.queued;
    if (batch.length === 0) return;
    this.queued = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.runBatch(batch);
    } catch (error) {
      // The commit itself failed (disk full, I/O error): nothing of the batch is stored.
      this.onCommitFailed();
      const unavailable = new StoreUnavailableError(`write not stored: ${(error as { message?: unknown }).message ?? String(error)}`);
      for (const queued of batch) queued.reject(unavailable);
      return;
    }
    batch.forEach((queued, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) queued.resolve(outcome.value);
      else queued.reject(outcome.error);
    });
  }

  private enqueue<T>(write: () => T, inSavepoint: boolean): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queued.push({ write, inSavepoint, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }
}
