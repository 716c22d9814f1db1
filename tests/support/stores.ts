import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { MongoStore } from '../../src/storage/mongo/mongoStore';
import { SqliteStore } from '../../src/storage/sqlite/sqliteStore';
import type { Store } from '../../src/domain/ports/store';
import { mongoTestUri } from './mongoTestUri';

/** As production sets it from DELTA_OVERLAP_SECONDS (2 s): MongoDB writes may land this long after their stamp. */
export const TEST_LATE_WRITE_WINDOW_MS = 2_000;

export interface StoreKind {
  name: 'embedded' | 'mongo';
  /** A new, empty store; `dispose` also drops a Mongo test database. */
  create(): Promise<TestStore>;
}

export type DisposableStore = Store & { dispose(): Promise<void> };

export interface TestStore extends DisposableStore {
  /**
   * The same data as a second service instance sees it: for MongoDB a second connection to the same database, for
   * the embedded store (one process by design) the store itself. Its `dispose` leaves the data alone.
   */
  twin(): Promise<DisposableStore>;
}

/**
 * A new, empty directory for a data file, removed by `remove`. On tmpfs (/dev/shm) when the machine has one: the
 * store does everything it does on a disk (the write-ahead log, the lock, fsync at each commit), but an fsync there
 * costs nothing, so the suites stay fast.
 */
export function tempDataDir(): { dir: string; remove(): void } {
  const parent = existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = mkdtempSync(path.join(parent, 'presence-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The embedded store, as production opens it: a SQLite file of its own in a temporary DATA_DIR. */
const embedded: StoreKind = {
  name: 'embedded',
  async create() {
    const dataDir = tempDataDir();
    const store = SqliteStore.open({ dataDir: dataDir.dir });
    const twin = async () => Object.assign(Object.create(store) as SqliteStore, { dispose: async () => undefined });
    const dispose = async () => {
      await store.close();
      dataDir.remove();
    };
    return Object.assign(store, { dispose, twin });
  },
};

function mongo(uri: string): StoreKind {
  return {
    name: 'mongo',
    async create() {
      const url = new URL(uri);
      url.pathname = `/presence_test_${randomBytes(6).toString('hex')}`;
      const connect = () => MongoStore.connect({
        uri: url.toString(),
        operationTimeoutMs: 5000,
        stampedWriteTimeoutMs: 5000,
        lateWriteWindowMs: TEST_LATE_WRITE_WINDOW_MS,
      });
      const store = await connect();
      const twin = async () => {
        const second = await connect();
        return Object.assign(second, { dispose: () => second.close() });
      };
      const dispose = async () => {
        await store.close();
        const admin = await mongoose.createConnection(url.toString()).asPromise();
        await admin.dropDatabase();
        await admin.close();
      };
      return Object.assign(store, { dispose, twin });
    },
  };
}

/** The stores every contract and API suite runs against: always the embedded one, MongoDB when there is one. */
export function storeKinds(): StoreKind[] {
  const uri = mongoTestUri();
  return uri === undefined ? [embedded] : [embedded, mongo(uri)];
}
