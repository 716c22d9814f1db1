import type { Config } from '../config/loadConfig';
import { MemoryStore } from './memory/memoryStore';
import { MongoStore } from './mongo/mongoStore';
import type { PresenceStore } from '../domain/presenceStore';
import { withTimeout } from './withTimeout';

/** How long a change must be kept: no delta window, widened by its overlap, reaches further back. */
export function changeRetentionSeconds(config: Pick<Config, 'deltaWindowSeconds' | 'deltaOverlapSeconds'>): number {
  const margin = 60;
  return config.deltaWindowSeconds + config.deltaOverlapSeconds + margin;
}

/**
 * MongoDB when MONGODB_URI is set, its every call bounded by the store timeout; else the embedded store, whose
 * calls cannot hang and so need no timer each.
 */
export async function createStore(config: Config): Promise<PresenceStore> {
  const retention = changeRetentionSeconds(config);
  if (config.mongodbUri === undefined) return new MemoryStore(retention * 1000);
  const store = await MongoStore.connect({ uri: config.mongodbUri, changeRetentionSeconds: retention, serverSelectionTimeoutMs: config.storeTimeoutMs });
  return withTimeout(store, config.storeTimeoutMs);
}
