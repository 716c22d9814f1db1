import type { Config } from '../config/loadConfig';
import { MemoryStore } from './memory/memoryStore';
import { MongoStore } from './mongo/mongoStore';
import type { PresenceStore } from '../domain/presenceStore';
import { withTimeout } from './storeWrappers';

/** How long the embedded store indexes change stamps: no delta window, widened by its overlap, reaches further back. */
export function changeRetentionSeconds(config: Pick<Config, 'deltaWindowSeconds' | 'deltaOverlapSeconds'>): number {
  const margin = 60;
  return config.deltaWindowSeconds + config.deltaOverlapSeconds + margin;
}

/**
 * MongoDB when MONGODB_URI is set, its every call bounded by the store timeout (in the driver, which cancels it
 * on the server too, and by withTimeout, which maps failures to 503); else the embedded store, whose calls cannot
 * hang and so need no timer each.
 */
export async function createStore(config: Config): Promise<PresenceStore> {
  if (config.mongodbUri === undefined) return new MemoryStore(changeRetentionSeconds(config) * 1000);
  // A stamped write lands within half the overlap after its stamp (the server abandons it later than that); the
  // other half covers the difference between instances' clocks (and Rocket.Chat servers' clocks).
  const overlapMs = config.deltaOverlapSeconds * 1000;
  const store = await MongoStore.connect({
    uri: config.mongodbUri,
    operationTimeoutMs: config.storeTimeoutMs,
    stampedWriteTimeoutMs: Math.min(config.storeTimeoutMs, Math.floor(overlapMs / 2)),
    lateWriteWindowMs: overlapMs,
  });
  return withTimeout(store, config.storeTimeoutMs);
}
