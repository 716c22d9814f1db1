import { startEmulator, type RunningEmulator } from './mongoEmulator/startEmulator';
import { MONGO_KIND_VARIABLE, MONGO_URI_VARIABLE, type MongoKind } from './mongoTestUri';

const START_TIMEOUT_MS = 20000;

/** What the teardown stops: whichever server this setup started. */
export interface StartedServers {
  __MONGOD__?: { stop(): Promise<boolean> };
  __MONGO_EMULATOR__?: RunningEmulator;
}
const started = globalThis as StartedServers;

function firstLine(error: unknown): string {
  // mongodb-memory-server's first line ends in a dangling "Details:" that the following lines fill in.
  return (error instanceof Error ? error.message : String(error)).split('\n')[0].replace(/,? Details:$/, '').slice(0, 160);
}

function use(kind: MongoKind, uri: string): void {
  // Workers inherit these variables.
  process.env[MONGO_URI_VARIABLE] = uri;
  process.env[MONGO_KIND_VARIABLE] = kind;
}

async function startMemoryServer(): Promise<void> {
  // A CI machine either brings its own server (MONGODB_URI) or cannot download one: a failed download there only
  // costs seconds. A cached or system mongod (MONGOMS_SYSTEM_BINARY) is still used, and the variable still wins.
  if (process.env.CI && process.env.MONGOMS_RUNTIME_DOWNLOAD === undefined) process.env.MONGOMS_RUNTIME_DOWNLOAD = 'false';
  let timer: NodeJS.Timeout | undefined;
  // The library reports a failed download at length; the caller's one line says all that matters here.
  const { error: consoleError, warn: consoleWarn } = console;
  console.error = () => undefined;
  console.warn = () => undefined;
  try {
    const { MongoMemoryServer } = await import('mongodb-memory-server-core');
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no mongod within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    });
    const server = await Promise.race([MongoMemoryServer.create(), timeout]);
    started.__MONGOD__ = server;
    use('mongod', server.getUri());
  } finally {
    clearTimeout(timer);
    console.error = consoleError;
    console.warn = consoleWarn;
  }
}

/**
 * Finds a MongoDB for the Mongo half of the contract and API suites, preferring a real mongod whenever one can be had:
 * 1. MONGODB_URI, when set (GitHub CI's replica set, or a developer's own server);
 * 2. a mongod started by mongodb-memory-server (downloaded once on a connected developer machine, then cached; in CI
 *    only a cached or system binary, see startMemoryServer);
 * 3. the wire-protocol emulator in tests/support/mongoEmulator (python3-mockupdb and python3-mongomock), which
 *    cannot show sessions, transactions, change streams, real concurrency or the TTL monitor.
 * When none is available the Mongo runs are skipped with one line saying so, and the embedded-store runs go on;
 * in CI (CI set) that fails the run instead, since a green CI must mean the MongoDB suites ran.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.MONGODB_URI) {
    use('MONGODB_URI', process.env.MONGODB_URI);
    return;
  }
  let memoryServerFailure: string;
  try {
    await startMemoryServer();
    return;
  } catch (error) {
    memoryServerFailure = firstLine(error);
  }
  try {
    const emulator = await startEmulator();
    started.__MONGO_EMULATOR__ = emulator;
    use('emulator', emulator.uri);
    process.stdout.write(`\nMongoDB suites use the emulator at ${emulator.uri} (mongodb-memory-server: ${memoryServerFailure})\n`);
  } catch (error) {
    const reason = `MONGODB_URI is unset, mongodb-memory-server could not start a mongod (${memoryServerFailure}) and the emulator could not start (${firstLine(error)})`;
    if (process.env.CI) throw new Error(`MongoDB suites cannot run in CI: ${reason}`);
    process.stdout.write(`\nMongoDB suites skipped: ${reason}\n`);
  }
}
