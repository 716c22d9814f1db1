import type { UserRecord } from '../../domain/ports/records';

/**
 * The records of the users read or written last, exactly as the data file holds them, so that the finders skip
 * SQLite's row reads (about 5 µs a row of 21 columns: most of what a poll with 50 `ids` cost). Not a guess that
 * may go stale: the file is this process's alone (an exclusive lock), every write to a user is the store's, and
 * the store puts a user's new record here (or drops the old one) in the same synchronous step as the statement
 * that writes it, inside the transaction that commits it (every such write goes through SqliteStore's writeUsers);
 * a commit that fails drops them all. No reader runs in between, so none can be handed a record the file does not
 * hold. Each record is frozen: every finder hands out the same object.
 *
 * Past `maxRecords`, the record kept longest ago goes (a Map's insertion order; a write keeps its user's record
 * anew). Not least-recently-used: lru-cache's bookkeeping on every read cost a tenth of an `ids` poll.
 */
export class CommittedRecords {
  private readonly records = new Map<string, UserRecord>();

  constructor(private readonly maxRecords: number) {}

  get(userId: string): UserRecord | undefined {
    return this.records.get(userId);
  }

  /** `record` is what the file holds for its user from now on (once its transaction commits); returned frozen. */
  keep(record: UserRecord): UserRecord {
    Object.freeze(record.roles);
    if (record.emails !== undefined) {
      for (const email of record.emails) Object.freeze(email);
      Object.freeze(record.emails);
    }
    if (record.presenceSeen !== undefined) Object.freeze(record.presenceSeen);
    this.records.delete(record.id);
    this.records.set(record.id, Object.freeze(record));
    if (this.records.size > this.maxRecords) this.records.delete(this.records.keys().next().value as string);
    return record;
  }

  /** The user's row changed in a way not worth rebuilding the record for: the next finder reads it again. */
  drop(userId: string): void {
    this.records.delete(userId);
  }

  /** A commit failed: what was kept for its writes is not in the file. */
  clear(): void {
    this.records.clear();
  }
}
