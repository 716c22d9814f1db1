import { chmodSync, closeSync, constants, fchmodSync, mkdirSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { APPLICATION_ID, migrate, SCHEMA_VERSION } from './schema';

export const DATA_FILE_NAME = 'presence.sqlite';

/** The data file cannot be used: start-up stops with this message, which names the file, rather than start afresh. */
export class DataFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataFileError';
  }
}

/**
 * A SQLite failure's message and result code (SQLITE_BUSY…). Read from the fields, not by instanceof: the native
 * addon keeps the SqliteError class of the first copy of better-sqlite3 a process loaded, and a test runner loads
 * one per test file, each in its own realm.
 */
function describeFailure(error: unknown): { message: string; code: string | undefined } {
  const { message, code } = (typeof error === 'object' && error !== null ? error : {}) as { message?: unknown; code?: unknown };
  return { message: typeof message === 'string' ? message : String(error), code: typeof code === 'string' ? code : undefined };
}

function refusal(file: string, error: unknown): DataFileError {
  if (error instanceof DataFileError) return error;
  const { message, code } = describeFailure(error);
  if (code === 'SQLITE_BUSY') {
    return new DataFileError(`${file} is in use by another process (another instance of this service on the same DATA_DIR?); only one process may use a data file`);
  }
  if (code === 'SQLITE_NOTADB') return new DataFileError(`${file} is not a database of this service (not a SQLite database: ${message}); move it away or set DATA_DIR elsewhere`);
  if (code?.startsWith('SQLITE_CORRUPT')) return new DataFileError(`${file} is damaged (${message}); restore it from a backup or move it away`);
  return new DataFileError(`${file} cannot be used: ${message}`);
}

/**
 * The data file and SQLite's files beside it (its write-ahead log and the log's shared-memory index) hold password
 * and token hashes: readable and writable by the service's user alone, whatever the directory's mode or the umask.
 */
const DATA_FILE_MODE = 0o600;
const COMPANION_SUFFIXES = ['', '-wal', '-shm'];

/**
 * Creates the data file, empty (SQLite takes an empty file for a new database), with DATA_FILE_MODE set outright
 * rather than through the umask, before SQLite creates it with 0644. SQLite creates the log and its index with the
 * data file's mode.
 */
function createOwnerOnly(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, DATA_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw error;
  }
  try {
    fchmodSync(fd, DATA_FILE_MODE);
  } finally {
    closeSync(fd);
  }
}

/**
 * A data file, and its log and index, that others may read or write (written before files were made owner-only)
 * are made 0600 now: before SQLite opens it, since SQLite creates the log and its index with the data file's mode
 * at the first read.
 */
function restrictToOwner(file: string): void {
  for (const suffix of COMPANION_SUFFIXES) {
    let mode: number;
    try {
      mode = statSync(file + suffix).mode & 0o777;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    if ((mode & 0o077) !== 0) chmodSync(file + suffix, DATA_FILE_MODE);
  }
}

/**
 * What an operator should know about `dataDir` at start-up, as warnings: a directory others can read lists the data
 * file and would show any copy of it left there (a backup, a file copied aside) to every user of the machine; one
 * they can only enter (o+x) still lets them open any file there whose name they know (`presence.sqlite.bak`) that
 * was copied with a readable mode.
 */
export function dataDirWarnings(dataDir: string): string[] {
  const mode = statSync(dataDir).mode & 0o777;
  if ((mode & 0o004) !== 0) {
    return [`DATA_DIR ${dataDir} is readable by other users (mode 0${mode.toString(8)}): restrict it (chmod 700) so that only the service's user can list it or read what is put there`];
  }
  if ((mode & 0o001) !== 0) {
    return [`DATA_DIR ${dataDir} can be entered by other users (mode 0${mode.toString(8)}): restrict it (chmod 700) so that they cannot open a copy of the data file put there under a name they can guess`];
  }
  return [];
}

/**
 * Opens (creating it and its directory when missing) this service's data file in `dataDir`, for this process alone,
 * or throws a DataFileError naming the file:
 *
 * - another process has it open (SQLite's exclusive locking mode: the lock is taken before anything is read and held
 *   until the connection closes, and the operating system drops it when a process dies, even by `kill -9`);
 * - it is not this service's (a SQLite file without this application id, or not SQLite at all);
 * - it was written by a later schema version than this one knows;
 * - it is damaged (`PRAGMA integrity_check`: pages, records, and every index against its table).
 *
 * The file, its log and the log's index are readable and writable by their owner alone (mode 0600), set at creation
 * whatever the umask, and set again, before it is opened, on a file found that others may read or write. A file of an earlier
 * schema version is migrated. Writes go through the write-ahead log; GroupCommit chooses, per commit, whether it is
 * fsynced before it returns (`synchronous=FULL`, accounts) or not (`NORMAL`, presence).
 */
export function openDataFile(dataDir: string): { db: Database.Database; file: string } {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new DataFileError(`DATA_DIR ${dataDir} cannot be used: ${describeFailure(error).message}`);
  }
  const file = path.join(dataDir, DATA_FILE_NAME);
  let db: Database.Database;
  try {
    createOwnerOnly(file);
    restrictToOwner(file);
    // timeout 0: a file another process holds is refused at once instead of waited for.
    db = new Database(file, { timeout: 0 });
  } catch (error) {
    throw refusal(file, error);
  }
  try {
    // Before the first read, so the first read takes the lock and keeps it: only this process may use the file.
    db.pragma('locking_mode = EXCLUSIVE');
    const { applicationId, version, objects } = db.transaction(() => ({
      applicationId: db.pragma('application_id', { simple: true }) as number,
      version: db.pragma('user_version', { simple: true }) as number,
      objects: db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get() as number,
    })).exclusive();
    const fresh = applicationId === 0 && version === 0 && objects === 0;
    if (!fresh && applicationId !== APPLICATION_ID) {
      throw new DataFileError(`${file} is not a database of this service (application_id ${applicationId}, not ${APPLICATION_ID}); move it away or set DATA_DIR elsewhere`);
    }
    if (version > SCHEMA_VERSION) {
      throw new DataFileError(`${file} was written by a later version of this service (schema ${version}; this one knows up to ${SCHEMA_VERSION})`);
    }
    if (!fresh) {
      // The full check, not quick_check: only it compares each index with its table, and a unique index that lost
      // a row's entry (usernames, tokens) would let a second user of the same name in. About 0.3 s for 100 000
      // users (docs/storage.md).
      const problems = db.pragma('integrity_check', { simple: false }) as { integrity_check: string }[];
      if (problems.length !== 1 || problems[0].integrity_check !== 'ok') {
        throw new DataFileError(`${file} is damaged (integrity_check: ${problems.slice(0, 3).map((row) => row.integrity_check.replace(/\s+/g, ' ')).join('; ')}); restore it from a backup or move it away`);
      }
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    if (version < SCHEMA_VERSION) migrate(db, version);
    return { db, file };
  } catch (error) {
    db.close();
    throw refusal(file, error);
  }
}
