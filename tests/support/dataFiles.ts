import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DATA_FILE_NAME } from '../../src/storage/sqlite/dataFile';
import { SqliteStore } from '../../src/storage/sqlite/sqliteStore';
import { bareUser } from '../storage/support/users';

/** The data file's path in `dataDir`. */
export const dataFileIn = (dataDir: string) => path.join(dataDir, DATA_FILE_NAME);

/** A data file of this service in `dataDir` whose second page (the users table's root) is overwritten with garbage. */
export async function writeDamagedDataFile(dataDir: string): Promise<void> {
  const store = SqliteStore.open({ dataDir });
  await store.close();
  const fd = openSync(dataFileIn(dataDir), 'r+');
  try {
    writeSync(fd, Buffer.alloc(64, 0x5a), 0, 64, 4096);
  } finally {
    closeSync(fd);
  }
}

/**
 * A data file of this service whose unique index on usernames has lost a row's entry: the user `username` is in the
 * table, but the index still holds the name he had before (`former`), so a lookup by name misses him. Made as a
 * fault would leave it: with the index taken out of the schema while the row is renamed, then put back as it was.
 * `PRAGMA quick_check` (which only counts each index's entries) passes over it.
 */
const STALE_USER_ID = 'u-stale';

export async function writeDataFileWithStaleUsernameIndex(dataDir: string, username: string): Promise<void> {
  const store = SqliteStore.open({ dataDir });
  await store.createUser({ ...bareUser(STALE_USER_ID), username: 'former' });
  await store.close();
  const db = new Database(dataFileIn(dataDir));
  try {
    // Off: better-sqlite3's defensive mode, which forbids writing the schema.
    db.unsafeMode(true);
    const table = db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'users'").pluck().get() as string;
    const index = db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'sqlite_autoindex_users_2'").pluck().get() as number;
    db.pragma('writable_schema = ON');
    db.prepare("UPDATE sqlite_schema SET sql = ? WHERE name = 'users'").run(table.replace('username_key TEXT NOT NULL UNIQUE', 'username_key TEXT NOT NULL'));
    db.prepare("DELETE FROM sqlite_schema WHERE name = 'sqlite_autoindex_users_2'").run();
    db.pragma('writable_schema = RESET');
    db.prepare('UPDATE users SET username = ?, username_key = ? WHERE id = ?').run(username, username.toLowerCase(), STALE_USER_ID);
    db.pragma('writable_schema = ON');
    db.prepare("UPDATE sqlite_schema SET sql = ? WHERE name = 'users'").run(table);
    db.prepare("INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql) VALUES ('index', 'sqlite_autoindex_users_2', 'users', ?, NULL)").run(index);
    db.pragma('writable_schema = RESET');
  } finally {
    db.close();
  }
}

/** Where the data file should be: a text file. */
export function writeTextFile(dataDir: string): void {
  writeFileSync(dataFileIn(dataDir), 'These are my notes, not a database.\n'.repeat(20));
}

/** Where the data file should be: another program's SQLite database (no application id, a table of its own). */
export function writeOtherSqliteDatabase(dataDir: string, applicationId = 0): void {
  const db = new Database(dataFileIn(dataDir));
  db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)');
  if (applicationId !== 0) db.pragma(`application_id = ${applicationId}`);
  db.close();
}
