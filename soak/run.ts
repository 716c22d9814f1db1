/**
 * `npm run soak`: two instances of the service in this process over one store, each on a real port (127.0.0.1
 * only), hammered by concurrent clients that mix pnut heartbeats (`update_presence=`), Rocket.Chat
 * `users.setStatus` and `users.presence` delta polls that take `from` from their own clock after each answer, as
 * Rocket.Chat's clients do (a full list first, then deltas), and stream subscribers that build their view from
 * events alone. Each login token has several consumers (tabs), each with its own view and its own `from`, and every
 * poll goes to the other instance than the one before; subscribers resume on the other instance. Every accepted
 * status change (2xx) is recorded. At the end, every accepted change must be reflected in the final state
 * (users.getStatus and the full users.presence list), in every consumer's view built from its deltas alone, and in
 * every subscriber's view. Prints the counts; exits 1 when a request failed (5xx, transport error, unexpected 4xx)
 * or a change was lost. Bounded in time and in requests; stops by itself.
 *
 * Settings (environment):
 *   SOAK_SECONDS=60            how long the clients run
 *   SOAK_CLIENTS=200           concurrent clients, each with its own keep-alive connection and its own user
 *   SOAK_USERS=250             users seeded (clients' users, plus passive ones nobody changes)
 *   SOAK_THINK_MS=0            pause between one client's requests (0: as fast as answers come)
 *   SOAK_MAX_REQUESTS=5000000  the clients stop after this many requests even if time is left
 *   SOAK_CONSUMERS=3           consumers of each client's login token (tabs), polling in turn, each with its own view
 *   SOAK_SUBSCRIBERS=50        users.presence.stream subscribers beside the pollers, each on a user of its own (its
 *                              stream is that user's connection: online while open); each drops its connection once,
 *                              half-way, and resumes with Last-Event-ID on the other instance; each view built from
 *                              events alone must equal the final state
 * Every fourth client is also a device that heartbeats (POST users.presence.heartbeat, every 8 s): its user is
 * connected throughout, so he shows the status he chose, and a deleted pnut presence reads online; the others'
 * status calls are their declarations.
 *   LOG_LEVEL=warn             the service's log level; the service's other variables (.env.example) apply too
 *   MONGODB_URI                unset: the embedded store (default); set: that MongoDB (a throwaway database), each
 *                              instance with its own connection. The test emulator serves too:
 *                              python3 tests/support/mongoEmulator/server.py, then MONGODB_URI=mongodb://127.0.0.1:<port>/soak
 *   DATA_DIR                   the embedded store's directory; unset: a fresh one under the system's temporary
 *                              directory, removed at the end
 */
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../src/app';
import { loadConfig, type LogLevel } from '../src/config/loadConfig';
import { systemClock } from '../src/domain/ports/clock';
import { createLogger } from '../src/logger';
import { createStore } from '../src/storage/createStore';
import { StreamSubscriber } from './streamSubscriber';
import { makeCaller, Stats } from './caller';
import { Client, HEARTBEATING_EVERY, seedUsers, type PresenceListBody } from './clients';
import { samePresence, show, type Presence, type Status } from './presences';
import { CLIENTS, CONSUMERS, MAX_REQUESTS, SECONDS, STREAM_SETTLE_MS, SUBSCRIBERS, USERS, WATCHDOG_MS } from './settings';

// ---------------------------------------------------------------------------------------------------------------
// The run

async function main(): Promise<number> {
  // The service's own settings (DELTA_OVERLAP_SECONDS, CACHE_MAX_AGE_MS, …) apply as in production; PORT does not.
  const ownDataDir = process.env.DATA_DIR ? undefined : mkdtempSync(path.join(os.tmpdir(), 'presence-soak-'));
  if (ownDataDir !== undefined) process.on('exit', () => rmSync(ownDataDir, { recursive: true, force: true }));
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', DATA_DIR: process.env.DATA_DIR || ownDataDir });
  const logger = createLogger(config.logLevel as LogLevel);
  const store = await createStore(config);
  const runId = Math.random().toString(36).slice(2, 8);
  const users = await seedUsers(store, runId, SUBSCRIBERS);
  const subscriberUsers = users.slice(USERS);
  const expected = new Map<string, Presence>(users.map((user) => [user.id, user.initial]));

  // Two instances over the same data: the embedded store is one process's, so both share it; MongoDB gets a second
  // connection, as a second process would have.
  const secondStore = config.mongodbUri === undefined ? store : await createStore(config);
  const instances = await Promise.all([store, secondStore].map(async (instanceStore) => {
    const app = createApp({ store: instanceStore, clock: systemClock, config, logger });
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    // Connections stay open for the whole run; no keep-alive race at the server's idle timeout.
    server.keepAliveTimeout = 120_000;
    return { app, server, port: (server.address() as AddressInfo).port };
  }));
  const ports = instances.map((instance) => instance.port);

  const stats = new Stats();
  // Each client keeps its own connection to each instance, opened by its first full lists, as a browser tab or an
  // app does. A pool shared by all clients would open new connections in the middle of the run instead, and under
  // full load Node (libuv >= 1.45) accepts one new connection per event-loop turn, a turn that serves every ready
  // connection first: 100 connections arriving at once at a saturated instance waited more than 15 s.
  const agents = [new http.Agent({ keepAlive: true, maxSockets: 1 })];
  const callsOver = (agent: http.Agent) => ports.map((port) => makeCaller(port, agent, stats));
  const call = callsOver(agents[0])[0];
  const clients = users.slice(0, CLIENTS).map((user, index) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    return new Client(user, callsOver(agent), stats, index % HEARTBEATING_EVERY === 0);
  });
  const storeName = config.mongodbUri === undefined ? 'embedded store' : 'MongoDB';
  process.stdout.write(`soak: ${CLIENTS} clients × ${CONSUMERS} consumers, ${USERS} users (${USERS - CLIENTS} passive), ${SECONDS} s, ${storeName}, two instances on 127.0.0.1:${ports.join(', ')}\n`);

  // Every client connects and reads the full list first, all at once. Kept out of the timed run: under full load
  // Node (libuv >= 1.45) accepts about one new connection per event-loop turn, so clients connecting into a
  // saturated server wait for their socket, which is not what this soak measures.
  const connectStarted = Date.now();
  await Promise.all(clients.map((client) => client.connect()));
  // Each on a user of its own: its stream is that user's connection, so he is online while it is open (it closes
  // and opens again once, half-way, on the other instance).
  const subscribers = subscriberUsers.map((user, index) => new StreamSubscriber(index % 2 === 0 ? ports : [...ports].reverse(), { 'X-User-Id': user.id, 'X-Auth-Token': user.token }));
  await Promise.all(subscribers.map((subscriber) => subscriber.start()));
  const connectMs = Date.now() - connectStarted;
  const connectRequests = stats.requests;
  stats.latencies = [];

  const started = Date.now();
  const budget = { left: MAX_REQUESTS };
  const dropHalfWay = setTimeout(() => subscribers.forEach((subscriber) => subscriber.drop()), (SECONDS * 1000) / 2);
  await Promise.all(clients.map((client) => client.run(started + SECONDS * 1000, budget)));
  clearTimeout(dropHalfWay);
  const runMs = Date.now() - started;
  const loadRequests = stats.requests - connectRequests;
  const p50 = stats.percentile(50);
  const p99 = stats.percentile(99);
  const max = stats.percentile(100);

  // Every client is done: what each last had accepted is what must be everywhere now.
  let acceptedChanges = 0;
  for (const client of clients) {
    acceptedChanges += client.accepted;
    if (client.lastAccepted !== undefined) expected.set(client.user.id, client.lastAccepted);
    // A heartbeating device that never set a status is connected, with the status nobody chose: online.
    else if (client.heartbeats) expected.set(client.user.id, { status: 'online', text: '' });
  }
  // The subscribers' users: their streams are open until the end of the checks.
  for (const user of subscriberUsers) {
    expected.set(user.id, { status: 'online', text: '' });
  }

  // 1. The final state, read through users.getStatus for every user.
  const reader = clients[0];
  const rcHeaders = { 'X-User-Id': reader.user.id, 'X-Auth-Token': reader.user.token };
  const lostInState: string[] = [];
  for (const user of users) {
    const answer = await call('verify', 'GET', `/api/v1/users.getStatus?userId=${user.id}`, rcHeaders);
    const body = answer?.body as { status: Status; message?: string } | undefined;
    const actual: Presence | undefined = answer?.status === 200 && body !== undefined ? { status: body.status, text: body.message ?? '' } : undefined;
    const want = expected.get(user.id) as Presence;
    if (actual === undefined || !samePresence(actual, want)) lostInState.push(`${user.username}: users.getStatus says ${actual === undefined ? 'nothing' : show(actual)}, last accepted ${show(want)}`);
  }

  // 2. The final state, read through the full users.presence list (not listed: offline).
  const full = await call('verify', 'GET', '/api/v1/users.presence', rcHeaders);
  const listed = new Map<string, Presence>(((full?.body as PresenceListBody | undefined)?.users ?? []).map((u) => [u._id, { status: u.status, text: u.statusText ?? '' }]));
  const lostInList: string[] = [];
  if (full?.status !== 200) lostInList.push(`full list answered ${full?.status ?? 'nothing'}`);
  for (const user of users) {
    const actual = listed.get(user.id) ?? { status: 'offline', text: '' };
    const want = expected.get(user.id) as Presence;
    if (!samePresence(actual, want)) lostInList.push(`${user.username}: full list says ${show(actual)}, last accepted ${show(want)}`);
  }

  // 3. Each poller's view from deltas alone: one more delta poll each, then every other user must match.
  const lostInViews: string[] = [];
  let viewComparisons = 0;
  let fullAfterFirst = 0;
  for (const client of clients) {
    for (const [index, consumer] of client.consumers.entries()) {
      if (!(await client.poll(consumer))) lostInViews.push(`${client.user.username} #${index}: final delta poll failed`);
      fullAfterFirst += Math.max(0, consumer.fullAnswers - 1);
      for (const user of users) {
        if (user.id === client.user.id) continue; // deltas never include the caller
        viewComparisons += 1;
        const seen = consumer.view.get(user.id) ?? { status: 'offline', text: '' };
        const want = expected.get(user.id) as Presence;
        if (!samePresence(seen, want)) lostInViews.push(`${client.user.username} #${index} sees ${user.username} as ${show(seen)}, last accepted ${show(want)}`);
      }
    }
  }
  const inconsistentReplies = clients.reduce((sum, client) => sum + client.inconsistentReplies, 0);

  // 4. Each stream subscriber's view from events alone, once the last events are in: every user must match.
  const quietSince = () => Math.min(...subscribers.map((subscriber) => Date.now() - subscriber.lastEventAt));
  for (const deadline = Date.now() + 30_000; subscribers.length > 0 && quietSince() < STREAM_SETTLE_MS && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const lostInStreams: string[] = [];
  for (const [index, subscriber] of subscribers.entries()) {
    subscriber.stop();
    for (const failure of subscriber.failures) lostInStreams.push(`subscriber ${index}: ${failure}`);
    for (const user of users) {
      const seen = subscriber.view.get(user.id) ?? { status: 'offline', text: '' };
      const want = expected.get(user.id) as Presence;
      if (!samePresence(seen, want)) lostInStreams.push(`subscriber ${index} sees ${user.username} as ${show(seen)}, last accepted ${show(want)}`);
    }
  }
  // 5. The subscribers closed their streams: their users, connected by nothing else, read offline within 2 s.
  const stillOnline = async () => {
    const online: string[] = [];
    for (const user of subscriberUsers) {
      const answer = await call('verify', 'GET', `/api/v1/users.getStatus?userId=${user.id}`, rcHeaders);
      if ((answer?.body as { status?: string } | undefined)?.status !== 'offline') online.push(user.username);
    }
    return online;
  };
  let online = await stillOnline();
  for (const deadline = Date.now() + 2000; online.length > 0 && Date.now() < deadline; online = await stillOnline()) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  for (const username of online) lostInStreams.push(`${username} still online 2 s after closing the only stream`);

  const streamEvents = subscribers.reduce((sum, subscriber) => sum + subscriber.events, 0);
  const streamResumes = subscribers.reduce((sum, subscriber) => sum + subscriber.resumes, 0);
  const streamFullAfterFirst = subscribers.reduce((sum, subscriber) => sum + subscriber.fullEvents - 1, 0);

  for (const agent of agents) agent.destroy();
  for (const { app } of instances) app.closeStreams();
  for (const { server } of instances) {
    await new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  }
  await store.close();
  if (secondStore !== store) await secondStore.close();

  const lost = lostInState.length + lostInList.length + lostInViews.length + lostInStreams.length;
  const kinds = [...stats.byKind.entries()].map(([kind, count]) => `${kind} ${count}`).join(', ');
  const lines = [
    `requests: ${stats.requests} (${kinds}); ${loadRequests} in the ${(runMs / 1000).toFixed(1)} s run, ${Math.round(loadRequests / (runMs / 1000))}/s; ${clients.length} connects and full lists in ${connectMs} ms first`,
    `answers: 2xx ${stats.status2xx}, 4xx ${stats.status4xx}, 5xx ${stats.status5xx}, transport errors ${stats.transportErrors}`,
    `accepted status changes: ${acceptedChanges}; read-your-write mismatches: ${inconsistentReplies}; full lists after the first: ${fullAfterFirst} (${clients.length * CONSUMERS} consumers polling both instances in turn)`,
    `stream subscribers: ${subscribers.length}, ${streamEvents} events, ${streamResumes} resumes, snapshots after the first: ${streamFullAfterFirst}`,
    `lost changes: ${lost} (users.getStatus ${lostInState.length}/${users.length}, full list ${lostInList.length}/${users.length}, poller views ${lostInViews.length}/${viewComparisons}, stream views ${lostInStreams.length}/${subscribers.length * users.length})`,
    `latency ms during the run: p50 ${p50.toFixed(1)}, p99 ${p99.toFixed(1)}, max ${max.toFixed(1)}`,
  ];
  for (const line of lines) process.stdout.write(`${line}\n`);
  for (const line of [...stats.problems, ...lostInState, ...lostInList, ...lostInViews, ...lostInStreams].slice(0, 20)) process.stdout.write(`  ! ${line}\n`);

  const failed = stats.status5xx > 0 || stats.transportErrors > 0 || stats.status4xx > 0 || lost > 0 || inconsistentReplies > 0;
  process.stdout.write(`${failed ? 'FAIL' : 'PASS'}\n`);
  return failed ? 1 : 0;
}

const watchdog = setTimeout(() => {
  process.stdout.write(`FAIL: the soak did not finish within ${WATCHDOG_MS} ms\n`);
  process.exit(2);
}, WATCHDOG_MS);
watchdog.unref();

main().then(
  (code) => {
    clearTimeout(watchdog);
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stdout.write(`FAIL: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
