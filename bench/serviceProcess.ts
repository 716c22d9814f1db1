/**
 * The service under load, in its own process: the production app as src/server.ts builds it (security headers,
 * validation, auth, metrics with Node's process metrics, request logging at the configured level, the store as
 * createStore makes it) on the embedded store, seeded directly through the store. Started by bench/run.ts; talks to it over IPC.
 *
 * Environment (set by run.ts): BENCH_USERS, BENCH_TOKENS (how many users' tokens to hand to the load generator),
 * BENCH_ALL_ONLINE (1: every user online, else every other one), BENCH_CHANGE_EVERY_MS (0: no background
 * changes), BENCH_CHILD_MAX_MS. Everything else is read by loadConfig exactly as the server does, but DATA_DIR: the
 * embedded store's file is this process's own, in a fresh directory under the system's temporary directory (on the
 * disk, as in production), removed when the process exits. The log goes to stdout, which run.ts points at
 * /dev/null: pino does all its work (serialising, writing) and the terminal is not flooded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/loadConfig';
import { rocketChatPresenceOf } from '../src/domain/rules/rocketChatPresence';
import { systemClock } from '../src/domain/ports/clock';
import bcrypt from 'bcryptjs';
import { BCRYPT_ROUNDS } from '../src/domain/rules/accounts';
import { hashLoginToken, newLoginToken, newUserId } from '../src/domain/services/credentials';
import { preHashPassword } from '../src/domain/services/passwords';
import { ConnectionDrain } from '../src/http/connectionDrain';
import { createLogger } from '../src/logger';
import { createMetrics } from '../src/metrics/createMetrics';
import { createStore } from '../src/storage/createStore';
import type { AccountStore } from '../src/domain/ports/accountStore';
import type { PresenceStore } from '../src/domain/ports/presenceStore';
import type { PresenceUpdate, UserRecord } from '../src/domain/ports/records';
import { answerMeasurements, fullGc } from './childMemory';
import { benchProfile, boundChildLifetime, childMaxMsFromEnv, toParent, type BenchUser, type ServiceReady } from './protocol';

boundChildLifetime(childMaxMsFromEnv());

function intFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value >= 0 ? value : fallback;
}

const USERS = intFromEnv('BENCH_USERS', 10_000);
const TOKENS = intFromEnv('BENCH_TOKENS', 200);
const ALL_ONLINE = process.env.BENCH_ALL_ONLINE === '1';
const CHANGE_EVERY_MS = intFromEnv('BENCH_CHANGE_EVERY_MS', 0);
const SEED_BATCH = 1000;
/** Recent changes are spread over this many of the latest changes' intervals before the load starts. */
const SEEDED_CHANGES = 10;

/** A change clients can see (the status flips between online and away), so it is recorded like any other. */
function visibleUpdate(sequence: number, at: Date, ttlMs: number): PresenceUpdate {
  return { status: sequence % 2 === 0 ? 'away' : 'online', statusText: '', presenceText: null, presenceExpiresAt: new Date(at.getTime() + ttlMs), lastSeenAt: at };
}

/**
 * N users, every other one online (or all of them). Each has its own login token and its own bcrypt string (one real hash, made
 * once, with a per-user tail: the shape and size of a stored hash without N bcrypt runs; these passwords are not
 * used). An online user was last seen within the past 5 minutes, so no presence expires during a run (the
 * presence time to live is 15 minutes) and the present set stays fixed unless the bench changes it.
 */
async function seed(store: AccountStore & PresenceStore, ttlMs: number): Promise<{ handedOut: BenchUser[]; onlineIds: string[]; ids: string[] }> {
  const realHash = await bcrypt.hash(preHashPassword('bench-password'), BCRYPT_ROUNDS);
  const nowMs = Date.now();
  const handedOut: BenchUser[] = [];
  const onlineIds: string[] = [];
  const seeding: Promise<void>[] = [];
  const ids: string[] = [];
  for (let i = 0; i < USERS; i += 1) {
    const online = ALL_ONLINE || i % 2 === 0;
    const userId = newUserId();
    const token = newLoginToken();
    const lastSeenAt = online || i % 4 === 1 ? new Date(nowMs - ((i * 7919) % 300_000)) : null;
    const user: UserRecord = {
      id: userId,
      ...benchProfile(i),
      emails: [{ address: `user${i}@bench.example`, verified: true }],
      active: true,
      roles: ['user'],
      status: online ? 'online' : 'offline',
      statusText: '',
      presenceText: null,
      presenceExpiresAt: online && lastSeenAt !== null ? new Date(lastSeenAt.getTime() + ttlMs) : null,
      lastSeenAt,
      // Came online an hour ago and kept it up with heartbeats since: no change inside any delta window.
      presenceChangedAt: online ? new Date(nowMs - 3_600_000) : null,
      presenceRevision: 0,
      lastLogin: new Date(nowMs - 3_600_000),
      createdAt: new Date(nowMs - 86_400_000),
      credentials: {
        passwordHash: realHash.slice(0, 50) + i.toString(36).padStart(10, '0'),
        loginTokens: [{ when: new Date(nowMs - 3_600_000), hashedToken: hashLoginToken(token) }],
      },
    };
    // A thousand at a time: the writes of one turn share one commit, as concurrent requests' writes do.
    seeding.push(store.createUser(user));
    if (seeding.length === SEED_BATCH) await Promise.all(seeding.splice(0));
    ids.push(userId);
    if (online) onlineIds.push(userId);
    if (i < TOKENS) handedOut.push({ userId, token });
  }
  await Promise.all(seeding);
  return { handedOut, onlineIds, ids };
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'presence-bench-'));
  process.on('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  const config = loadConfig({ ...process.env, DATA_DIR: dataDir });
  if (config.mongodbUri !== undefined) throw new Error('the bench runs on the embedded store; unset MONGODB_URI');
  const logger = createLogger(config.logLevel);
  const store = await createStore(config);
  const ttlMs = config.presenceTtlSeconds * 1000;

  const seedStarted = Date.now();
  const { handedOut, onlineIds, ids } = await seed(store, ttlMs);

  // About SEEDED_CHANGES changes already in the window when the load starts, then one every CHANGE_EVERY_MS, so
  // a delta poll keeps finding about the same number of entries however long the run. Written through the
  // store, as a change made on another instance would be.
  let nextChange = 0;
  const changeSomeone = async (at: Date): Promise<void> => {
    const sequence = nextChange;
    nextChange += 1;
    // 7919 is prime: consecutive changes land on users far apart, and a user comes round again only after all.
    const userId = onlineIds[(sequence * 7919) % onlineIds.length];
    // As another instance writes: read, then one write stamped with the change, refused if the user moved on.
    const user = await store.findUserById(userId);
    if (user === null) return;
    const update = visibleUpdate(Math.floor((sequence * 7919) / onlineIds.length), at, ttlMs);
    const version = { presenceRevision: user.presenceRevision, rocketChat: rocketChatPresenceOf(user) };
    await store.writePresence(userId, version, { ...update, presenceSeen: rocketChatPresenceOf({ ...user, ...update }), presenceChangedAt: at, updatedAt: at });
  };
  if (CHANGE_EVERY_MS > 0 && onlineIds.length > 0) {
    const now = Date.now();
    for (let k = SEEDED_CHANGES - 1; k >= 0; k -= 1) await changeSomeone(new Date(now - k * CHANGE_EVERY_MS));
    setInterval(() => void changeSomeone(new Date()), CHANGE_EVERY_MS).unref();
  }
  const seedMs = Date.now() - seedStarted;
  // run.ts starts this process with --expose-gc: what is measured is what seeding left, not its garbage.
  fullGc();
  const memory = process.memoryUsage();

  const app = createApp({ store, clock: systemClock, config, logger, metrics: createMetrics({ processMetrics: true }) });
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', (error?: Error) => (error === undefined ? resolve(listening) : reject(error)));
  });
  // As src/server.ts installs it: part of what every request costs.
  new ConnectionDrain(server);
  answerMeasurements(() => {
    // A normal exit, so that --cpu-prof writes its profile.
    server.closeAllConnections();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  });

  const ready: ServiceReady = {
    type: 'ready',
    port: (server.address() as AddressInfo).port,
    seededUsers: USERS,
    onlineUsers: onlineIds.length,
    users: handedOut,
    ids,
    maxStreams: config.streamMaxPerInstance,
    seedMs,
    rssAfterSeed: memory.rss,
    heapUsedAfterSeed: memory.heapUsed,
  };
  toParent(ready);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench service failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
