import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { MemoryStore } from '../../src/storage/memory/memoryStore';
import { MongoStore } from '../../src/storage/mongo/mongoStore';
import type { PresenceStore } from '../../src/domain/presenceStore';
import { mongoTestUri } from './mongoTestUri';

export const TEST_RETENTION_SECONDS = 600 + 10 + 60;
/** As production sets it from DELTA_OVERLAP_SECONDS: MongoDB writes may land this long after their stamp. */
export const TEST_LATE_WRITE_WINDOW_MS = 10_000;

export interface StoreKind {
  name: 'memory' | 'mongo';
  /** A new, empty store; `close` also drops a Mongo test database. */
  create(): Promise<PresenceStore & { dispose(): Promise<void> }>;
}

const memory: StoreKind = {
  name: 'memory',
  async create() {
    const store = new MemoryStore(TEST_RETENTION_SECONDS * 1000);
    return Object.assign(store, { dispose: () => store.close() });
  },
};

function mongo(uri: string): StoreKind {
  return {
    name: 'mongo',
    async create() {
      const url = new URL(uri);
      url.pathname = `/presence_test_${randomBytes(6).toString('hex')}`;
      const store = await MongoStore.connect({ uri: url.toString(), operationTimeoutMs: 5000, lateWriteWindowMs: TEST_LATE_WRITE_WINDOW_MS });
      const dispose = async () => {
        await store.close();
        const admin = await mongoose.createConnection(url.toString()).asPromise();
        await admin.dropDatabase();
        await admin.close();
      };
      return Object.assign(store, { dispose });
    },
  };
}

/** The stores every contract and API suite runs against: always the embedded one, MongoDB when there is one. */
export function storeKinds(): StoreKind[] {
  const uri = mongoTestUri();
  return uri === undefined ? [memory] : [memory, mongo(uri)];
}
