import type { StartedServers } from './mongoGlobalSetup';

export default async function globalTeardown(): Promise<void> {
  const started = globalThis as StartedServers;
  await started.__MONGOD__?.stop();
  await started.__MONGO_EMULATOR__?.stop();
}
