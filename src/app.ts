import express, { Router, type Express, type RequestHandler } from 'express';
import cors from 'cors';
import type { Logger } from 'pino';
import type { Config } from './config/loadConfig';
import { createAccounts } from './createAccounts';
import { ConnectionService } from './domain/services/connectionService';
import { newRandomId } from './domain/services/credentials';
import type { Clock } from './domain/ports/clock';
import { eventLoopTimers, type Timers } from './domain/ports/timers';
import { PresenceFeed } from './domain/services/presenceFeed';
import { PresenceService } from './domain/services/presenceService';
import { PresenceStreams } from './domain/services/presenceStreams';
import { RocketChatPresenceRecorder } from './domain/services/rocketChatPresenceRecorder';
import { readableBackMs, type DeltaWindow } from './domain/rules/cursors';
import { authenticate, redeemTicket } from './http/middleware/authenticate';
import { requireObjectBody } from './http/middleware/bodyShape';
import { errorHandler, notFound } from './http/middleware/errorHandler';
import { addHotLane, exactPath, oneParamPath } from './http/hotLane';
import { observeRequests, rememberMountPath } from './http/middleware/observeRequests';
import { parseQueryOnce } from './http/middleware/parseQueryOnce';
import { parseQueryString } from './http/queryString';
import { securityHeaders } from './http/middleware/securityHeaders';
import { updatePresence } from './http/middleware/updatePresence';
import { addOperationsRoutes } from './http/routes/operations';
import { addPnutPresenceRoutes } from './http/routes/pnutPresence';
import { presencePage } from './http/routes/presencePage';
import { addRocketChatAccountRoutes, rocketChatLogin } from './http/routes/rocketChatAccount';
import { addPresenceStreamRoutes } from './http/routes/presenceStream';
import { addRocketChatPresenceRoutes } from './http/routes/rocketChatPresence';
import { addRocketChatUserRoutes } from './http/routes/rocketChatUsers';
import { UserAdministration } from './domain/services/userAdministration';
import { MAX_PRESENCE_IDS } from './http/validation/limits';
import type { PresenceObserver } from './domain/ports/observer';
import type { Store } from './domain/ports/store';
import { createMetrics, type Metrics } from './metrics/createMetrics';
import { instrumentStore } from './storage/storeWrappers';

export type AppConfig = Pick<
  Config,
  | 'deltaWindowSeconds'
  | 'deltaOverlapSeconds'
  | 'presenceTtlSeconds'
  | 'cacheMaxAgeMs'
  | 'authCacheMaxEntries'
  | 'corsOrigins'
  | 'loginRateLimit'
  | 'loginRateWindowSeconds'
  | 'trustProxy'
  | 'passwordWorkers'
  | 'passwordQueueLimit'
  | 'streamPollMs'
  | 'streamHeartbeatSeconds'
  | 'streamRetryMs'
  | 'streamMaxPerUser'
  | 'streamMaxPerInstance'
  | 'streamMaxBufferBytes'
  | 'streamTicketSeconds'
  | 'streamRevalidateMs'
  | 'metricsToken'
  | 'slowRequestMs'
  | 'loginExpirationDays'
  | 'rocketChatScanMs'
  | 'connectionLeaseSeconds'
  | 'connectionRenewSeconds'
  | 'streamConnections'
>;

/**
 * The HTTP service, what its server must do on shutdown before the last connections can close, what it ends once
 * they have (the password workers), and one round of connection bookkeeping (it runs every
 * CONNECTION_RENEW_SECONDS by itself; tests run it on their fake clock).
 */
export type PresenceApp = Express & { closeStreams(): void; closeWorkers(): Promise<void>; connectionRound(): Promise<void> };


export interface AppDeps {
  store: Store;
  clock: Clock;
  /** Where the services wait (heartbeats, polls, rounds); the event loop unless a test moves them with its clock. */
  timers?: Timers;
  config: AppConfig;
  logger: Logger;
  /** The server passes one with process metrics; without, the app makes its own (tests build many apps). */
  metrics?: Metrics;
}

const BODY_LIMIT = '16kb';
const QUERY_LIMITS = { arrayLimit: 2 * MAX_PRESENCE_IDS, parameterLimit: 4 * MAX_PRESENCE_IDS };
/** How long the feed keeps what it read: a stream that opens catches up from it over its first reads (seconds). */
const FEED_KEEP_MS = 60_000;
/**
 * Stream deliveries may take 40 % of the time, and a change waits at most half a second for its round however far
 * they fall behind (issue 14: p99 within a second at five times the load one core can write); a round yields
 * every 20 ms so polls are answered in the middle of it.
 */
const STREAM_DELIVERY = { maxWindowMs: 500, busyShare: 0.4, sliceMs: 20 };
/** How old the present list behind the `presence_present_users` gauge may be when scraped. */
const PRESENT_USERS_MAX_AGE_MS = 10_000;
const CORS_HEADERS = ['Content-Type', 'Authorization', 'X-Auth-Token', 'X-User-Id', 'If-None-Match', 'X-Request-Id', 'X-Pretty-Json'];

/** Builds the whole HTTP service from its dependencies; the server entry and the tests both call this. */
export function createApp({ store: givenStore, clock, timers = eventLoopTimers, config, logger, metrics = createMetrics() }: AppDeps): PresenceApp {
  const store = instrumentStore(givenStore, metrics);
  const observer: PresenceObserver = {
    changeRecorded: () => metrics.changesRecorded.inc(),
    expirySeen: () => metrics.expiries.inc(),
    streamsOpen: (count) => metrics.openStreams.set(count),
    streamDelivered: (seconds) => metrics.streamDelivery.observe(seconds),
    streamBacklog: (windowSeconds, waitingEvents) => {
      metrics.streamWindow.set(windowSeconds);
      metrics.streamBacklog.set(waitingEvents);
    },
  };
  // bcrypt on worker threads (started at the first password check), so a login never holds up a poll.
  const { accounts, passwords, close: closeWorkers } = createAccounts(store, clock, config, 'service');
  // Where Rocket.Chat writes presence into the same users, its writes are recorded before every read of changes.
  // A write of Rocket.Chat's to a user also connected here is rewritten with both systems' connections instead.
  const recorder: RocketChatPresenceRecorder | undefined = store.externalWriters
    ? new RocketChatPresenceRecorder(store, clock, { scanIntervalMs: config.rocketChatScanMs }, (userIds): Promise<string[]> => presence.rewriteConnected(userIds))
    : undefined;
  const feed = new PresenceFeed(
    store,
    clock,
    timers,
    { keepMs: FEED_KEEP_MS, pollIntervalMs: config.streamPollMs },
    recorder === undefined ? undefined : (since) => recorder.recordWritesSince(since),
    observer,
    (error) => logger.warn({ err: error }, 'presence feed read failed'),
  );
  const deltaWindow: DeltaWindow = { windowMs: config.deltaWindowSeconds * 1000, overlapMs: config.deltaOverlapSeconds * 1000 };
  const presence = new PresenceService(store, clock, { ...deltaWindow, presenceTtlMs: config.presenceTtlSeconds * 1000 }, feed, observer);
  const connections = new ConnectionService(store, presence, clock, timers, {
    instanceId: newRandomId(),
    leaseMs: config.connectionLeaseSeconds * 1000,
    renewMs: config.connectionRenewSeconds * 1000,
  }, (error) => logger.warn({ err: error }, 'connection bookkeeping failed'));
  connections.start();
  const streams = new PresenceStreams(presence, accounts, clock, timers, {
    maxPerUser: config.streamMaxPerUser,
    maxPerInstance: config.streamMaxPerInstance,
    keepAliveMs: config.streamHeartbeatSeconds * 1000,
    revalidateMs: config.streamRevalidateMs,
    delivery: STREAM_DELIVERY,
  }, observer, (error) => logger.warn({ err: error }, 'checking the login tokens of open streams failed'), config.streamConnections ? connections : undefined);
  const users = new UserAdministration(store, clock, accounts, presence, connections, streams, passwords, {
    // A delta or a resume from further back gets the full list: a removal is remembered until then.
    readableBackMs: readableBackMs(deltaWindow, store.lateWriteWindowMs),
    loginExpirationDays: config.loginExpirationDays,
  });
  // A scrape takes the count of the present list the service took last (full lists and stream snapshots take one
  // anyway), and takes the list itself only when that is older than PRESENT_USERS_MAX_AGE_MS: scraped every
  // second under load, it no longer reads the whole list each time. Every instance counts from the database.
  metrics.readPresentUsersFrom(async () => {
    const latest = presence.latestSnapshot;
    if (latest !== undefined && clock.now().getTime() - latest.takenAt.getTime() < PRESENT_USERS_MAX_AGE_MS) return latest.users.length;
    return (await presence.presentUsers()).snapshot.users.length;
  });

  const app = express();
  app.disable('x-powered-by');
  // ETags are set where they are worth it (presence lists), not computed by Express for every body.
  app.set('etag', false);
  // qs's reading, as Rocket.Chat uses: `ids[]=a&ids[]=b` arrives as an array. qs turns an array of more than
  // `arrayLimit` entries into an object, so the limit is raised past the 500 ids users.presence accepts.
  parseQueryOnce(app, (text) => parseQueryString(text, QUERY_LIMITS));
  // One proxy hop at most: trusting every X-Forwarded-For entry would let a client pick its own IP for the rate limit.
  app.set('trust proxy', config.trustProxy ? 1 : false);

  // On each route rather than on the routers, so an unknown path is a 404 whoever asks.
  const auth = [authenticate(accounts), updatePresence(presence, logger)];
  const streamAuth = { before: authenticate(accounts, { streamTicket: true }), after: [redeemTicket(accounts), updatePresence(presence, logger)] };

  const rocketChat = Router();
  rocketChat.use(rememberMountPath);
  rocketChat.post('/login', ...rocketChatLogin(accounts, presence, metrics));
  addRocketChatAccountRoutes(rocketChat, auth, accounts, presence, streams, connections);
  const { usersPresence, setStatus } = addRocketChatPresenceRoutes(rocketChat, auth, presence, connections);
  addRocketChatUserRoutes(rocketChat, auth, users, presence);
  const { openStream } = addPresenceStreamRoutes(rocketChat, auth, streamAuth, accounts, streams, {
    retryMs: config.streamRetryMs,
    maxBufferedBytes: config.streamMaxBufferBytes,
    ticketTtlMs: config.streamTicketSeconds * 1000,
  });

  const pnut = Router();
  pnut.use(rememberMountPath);
  const { userPresence } = addPnutPresenceRoutes(pnut, auth, presence);

  // The API's own headers: OWASP's set, and CORS where configured.
  const apiHeaders: RequestHandler[] = config.corsOrigins.length > 0
    ? [securityHeaders, cors({ origin: config.corsOrigins, allowedHeaders: CORS_HEADERS, exposedHeaders: ['ETag', 'X-Updated-Presence', 'X-Request-Id', 'X-Presence-Cursor'] })]
    : [securityHeaders];

  // JSON and forms, as Rocket.Chat's clients send them; then every body must be an object.
  const bodyParsers: RequestHandler[] = [express.json({ limit: BODY_LIMIT }), express.urlencoded({ limit: BODY_LIMIT, extended: false }), requireObjectBody];
  const observe = observeRequests({ logger, metrics, slowRequestMs: config.slowRequestMs, clock });
  const handleError = errorHandler(logger);
  addHotLane(app, {
    observe,
    headers: apiHeaders,
    bodyParsers,
    routes: [
      { method: 'GET', template: '/api/v1/users.presence', match: exactPath('/api/v1/users.presence'), chain: usersPresence },
      { method: 'GET', template: '/api/v1/users.presence.stream', match: exactPath('/api/v1/users.presence.stream'), chain: openStream },
      { method: 'GET', template: '/v0/users/:user_id/presence', match: oneParamPath('/v0/users/:user_id/presence'), chain: userPresence },
      { method: 'POST', template: '/api/v1/users.setStatus', match: exactPath('/api/v1/users.setStatus'), chain: setStatus },
    ],
    notFound,
    errorHandler: handleError,
  });
  app.use(observe);
  // Before the API's headers: the page sets its own, with its own Content-Security-Policy.
  app.use(presencePage());
  app.use(...apiHeaders);
  addOperationsRoutes(app, store, metrics, config.metricsToken);
  app.use(...bodyParsers);
  app.use('/api/v1', rocketChat);
  app.use('/v0', pnut);

  app.use(notFound);
  app.use(handleError);
  return Object.assign(app, {
    closeStreams: () => {
      connections.stop();
      streams.closeAll();
    },
    closeWorkers,
    connectionRound: () => connections.runRound(),
  });
}
