import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { MemoryStore } from '../../src/storage/memory/memoryStore';
import { MongoStore } from '../../src/storage/mongo/mongoStore';
import type { PresenceStore } from '../../src/domain/presenceStore';
import { mongoTestUri } from './mongoTestUri';

export const TEST_RETENTION_SECONDS = 600 + 2 + 60;
/** As production sets it from DELTA_OVERLAP_SECONDS (2 s): MongoDB writes may land this long after their stamp. */
export const TEST_LATE_WRITE_WINDOW_MS = 2_000;

export interface StoreKind {
  name: 'memory' | 'mongo';
  /** A new, empty store; `dispose` also drops a Mongo test database. */
  create(): Promise<TestStore>;
}

export type DisposableStore = PresenceStore & { dispose(): Promise<void> };

export interface TestStore extends DisposableStore {
  /**
   * The same data as a second service instance sees it: for MongoDB a second connection to the same database, for
   * the embedded store (one process by design) the store itself. Its `dispose` leaves the data alone.
   */
  twin(): Promise<DisposableStore>;
}

const memory: StoreKind = {
  name: 'memory',
  async create() {
    const store = new MemoryStore(TEST_RETENTION_SECONDS * 1000);
    const twin = async () => Object.assign(Object.create(store) as MemoryStore, { dispose: async () => undefined });
    return Object.assign(store, { dispose: () => store.close(), twin });
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
  return uri === undefined ? [memory] : [memory, mongo(uri)];
}
