import type { Logger } from 'pino';
import type { Config } from '../config/loadConfig';
import { dataDirWarnings } from './sqlite/dataFile';
import { MongoStore } from './mongo/mongoStore';
import { SqliteStore } from './sqlite/sqliteStore';
import type { Store } from '../domain/ports/store';
import { withTimeout } from './storeWrappers';
import { sharedStoreTiming } from '../domain/rules/cursors';

/**
 * MongoDB when MONGODB_URI is set, its every call bounded by the store timeout (in the driver, which cancels it
 * on the server too, and by withTimeout, which maps failures to 503); else the embedded store, a file in DATA_DIR,
 * whose calls run in this process and so need no timer each. What an operator should fix about DATA_DIR goes to
 * `logger` at warn (the server's start-up; tools that make stores of their own pass none).
 * @throws DataFileError naming the file when the embedded store's file cannot be used
 */
export async function createStore(config: Config, logger?: Logger): Promise<Store> {
  if (config.mongodbUri === undefined) {
    const store = SqliteStore.open({ dataDir: config.dataDir });
    for (const warning of dataDirWarnings(config.dataDir)) logger?.warn({ dataDir: config.dataDir }, warning);
    return store;
  }
  const store = await MongoStore.connect({
    uri: config.mongodbUri,
    operationTimeoutMs: config.storeTimeoutMs,
    ...sharedStoreTiming(config.deltaOverlapSeconds * 1000, config.storeTimeoutMs),
  });
  return withTimeout(store, config.storeTimeoutMs);
}
