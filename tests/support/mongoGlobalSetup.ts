import { MONGO_URI_VARIABLE } from './mongoTestUri';

const START_TIMEOUT_MS = 20000;

/**
 * Finds a MongoDB for the Mongo half of the contract and API suites: MONGODB_URI when set, else a mongod started
 * by mongodb-memory-server (it can download one on a normal developer machine). When neither is possible the
 * Mongo runs are skipped (workers inherit the variable set here), with one line saying so, and the embedded-store runs go on.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.MONGODB_URI) {
    process.env[MONGO_URI_VARIABLE] = process.env.MONGODB_URI;
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  // The library reports a failed download at length; the one line below says all that matters here.
  const { error: consoleError, warn: consoleWarn } = console;
  console.error = () => undefined;
  console.warn = () => undefined;
  try {
    const { MongoMemoryServer } = await import('mongodb-memory-server-core');
    const started = MongoMemoryServer.create();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no mongod within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    });
    const server = await Promise.race([started, timeout]);
    (globalThis as { __MONGOD__?: unknown }).__MONGOD__ = server;
    process.env[MONGO_URI_VARIABLE] = server.getUri();
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 160);
    process.stdout.write(`\nMongoDB suites skipped: MONGODB_URI is unset and mongodb-memory-server could not start a mongod (${reason})\n`);
  } finally {
    clearTimeout(timer);
    console.error = consoleError;
    console.warn = consoleWarn;
  }
}
