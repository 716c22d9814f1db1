import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DATA_FILE_NAME } from '../../src/storage/sqlite/dataFile';
import { SqliteStore } from '../../src/storage/sqlite/sqliteStore';

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
