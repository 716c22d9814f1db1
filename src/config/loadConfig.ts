import os from 'node:os';
import path from 'node:path';
import { bearerTokenOf } from '../utils';
import { readOpenFileLimit } from './openFileLimit';
import { isEmailAddress, isUsername } from '../domain/rules/newUsers';
import { SHARED_STORE_MIN_OVERLAP_MS } from '../domain/rules/cursors';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  port: number;
  /** Unset: the embedded store, a file in dataDir. */
  mongodbUri: string | undefined;
  /** The embedded store's directory, absolute (DATA_DIR, relative to the working directory). */
  dataDir: string;
  adminUsername: string;
  /** Unset: a password is generated and logged once, when the admin is first created. */
  adminPassword: string | undefined;
  /** The admin's e-mail address, given to the admin when it is created (Rocket.Chat's ADMIN_EMAIL). */
  adminEmail: string | undefined;
  deltaWindowSeconds: number;
  deltaOverlapSeconds: number;
  presenceTtlSeconds: number;
  logLevel: LogLevel;
  storeTimeoutMs: number;
  cacheMaxAgeMs: number;
  authCacheMaxEntries: number;
  corsOrigins: string[];
  loginRateLimit: number;
  loginRateWindowSeconds: number;
  trustProxy: boolean;
  /** Worker threads checking and hashing passwords (bcrypt), off the event loop. */
  passwordWorkers: number;
  /** Password checks that may wait for a worker; past it a login is answered 503 at once. */
  passwordQueueLimit: number;
  shutdownTimeoutMs: number;
  streamPollMs: number;
  streamHeartbeatSeconds: number;
  streamRetryMs: number;
  streamMaxPerUser: number;
  streamMaxPerInstance: number;
  streamMaxBufferBytes: number;
  streamTicketSeconds: number;
  streamRevalidateMs: number;
  /** Unset: GET /metrics is open; set: it needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** A request slower than this is logged at info even when it succeeded. */
  slowRequestMs: number;
  /** A login token older than this many days no longer authenticates (Rocket.Chat's Accounts_LoginExpiration). */
  loginExpirationDays: number;
  /**
   * With MongoDB: how often the users Rocket.Chat may have changed without bumping `_updatedAt` (Rocket.Chat 6) are
   * compared with what was recorded; 0 never.
   */
  rocketChatScanMs: number;
  /** A connection (a stream, a heartbeating client) or an instance not renewed for this long has ended. */
  connectionLeaseSeconds: number;
  /** How often each instance renews its connections and liveness record, writes heartbeats, and ends lapsed connections. */
  connectionRenewSeconds: number;
  /** Whether an open stream is its device's connection (makes its user present); false: streams only watch. */
  streamConnections: boolean;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** What the process may hold, read from the system once at start-up. */
export interface ProcessLimits {
  /** The soft limit on open files (sockets included); undefined when it cannot be read or is unlimited. */
  openFiles: number | undefined;
  /** Cores this process may use (os.availableParallelism); undefined: taken as 2. */
  cores?: number;
}

/** Where the open-file limit cannot be read (not Linux): the stream limit before it was derived from it. */
const STREAMS_WITHOUT_A_KNOWN_LIMIT = 20000;

/**
 * How many streams a process with this open-file limit can hold: each stream is a socket, and a tenth of the
 * files (at least 100) stay free for polls, the store's connections, log and profile files. 20 000 files hold
 * 18 000 streams.
 */
export function streamsForOpenFiles(openFiles: number | undefined): number {
  if (openFiles === undefined) return STREAMS_WITHOUT_A_KNOWN_LIMIT;
  return Math.max(1, openFiles - Math.max(100, Math.ceil(openFiles / 10)));
}

/**
 * Reads and validates the whole configuration once, at start-up. Every problem is reported together so one
 * restart fixes them all. Each variable is documented in .env.example.
 */
/**
 * The most password workers started by default: a container limited to two CPUs on a 64-core host would otherwise
 * start 63 threads fighting over them (and over the event loop's share). More need PASSWORD_WORKERS.
 */
export const DEFAULT_PASSWORD_WORKERS = 4;

export function loadConfig(env: Env, limits: ProcessLimits = { openFiles: readOpenFileLimit(), cores: os.availableParallelism() }): Config {
  const problems: string[] = [];

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return Number(raw);
  };
  const text = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);

  const logLevel = text('LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const mongodbUri = text('MONGODB_URI');
  if (mongodbUri !== undefined && !/^mongodb(\+srv)?:\/\//.test(mongodbUri)) {
    problems.push('MONGODB_URI must start with mongodb:// or mongodb+srv://');
  }
  const dataDir = text('DATA_DIR') ?? 'data';
  if (dataDir.includes('\0')) problems.push('DATA_DIR must be a directory path');
  const flag = (name: string, fallback: boolean): boolean => {
    const raw = text(name) ?? String(fallback);
    if (raw !== 'true' && raw !== 'false') problems.push(`${name} must be true or false, got "${raw}"`);
    return raw === 'true';
  };
  const trustProxy = flag('TRUST_PROXY', false);
  const adminUsername = text('ADMIN_USERNAME') ?? 'admin';
  if (!isUsername(adminUsername)) problems.push('ADMIN_USERNAME may hold only letters, digits, "-", "_" and "."');
  const adminEmail = text('ADMIN_EMAIL');
  if (adminEmail !== undefined && (!isEmailAddress(adminEmail) || adminEmail.length > 256)) problems.push('ADMIN_EMAIL must be an e-mail address (something@something, at most 256 characters)');
  // Compared with the Authorization header as it arrives: a token that header cannot carry, or that the route's own
  // reading of it (bearerTokenOf) would not give back whole, would lock every scraper out. Node's parser strips
  // spaces around a header value and reads it as Latin-1; the reading stops at a space or a comma.
  const metricsToken = text('METRICS_TOKEN');
  if (metricsToken !== undefined && (!/^[\x21-\x7e]{16,256}$/.test(metricsToken) || bearerTokenOf(`Bearer ${metricsToken}`) !== metricsToken)) {
    problems.push('METRICS_TOKEN must be 16 to 256 printable ASCII characters without spaces or commas (what `Authorization: Bearer <token>` can carry)');
  }

  const config: Config = {
    port: integer('PORT', 3000, 0, 65535),
    mongodbUri,
    dataDir: path.resolve(dataDir),
    adminUsername,
    adminPassword: text('ADMIN_PASS'),
    adminEmail,
    deltaWindowSeconds: integer('DELTA_WINDOW_SECONDS', 600, 1, 86400),
    deltaOverlapSeconds: integer('DELTA_OVERLAP_SECONDS', 2, 0, 3600),
    presenceTtlSeconds: integer('PRESENCE_TTL_SECONDS', 900, 1, 7 * 86400),
    logLevel: logLevel as LogLevel,
    storeTimeoutMs: integer('STORE_TIMEOUT_MS', 2000, 50, 60000),
    cacheMaxAgeMs: integer('CACHE_MAX_AGE_MS', 2000, 0, 60000),
    authCacheMaxEntries: integer('AUTH_CACHE_MAX_ENTRIES', 100000, 0, 10000000),
    corsOrigins: (text('CORS_ORIGINS') ?? '').split(',').map((origin) => origin.trim()).filter((origin) => origin !== ''),
    loginRateLimit: integer('LOGIN_RATE_LIMIT', 10, 1, 100000),
    loginRateWindowSeconds: integer('LOGIN_RATE_WINDOW_SECONDS', 60, 1, 86400),
    trustProxy,
    // One core is left to the event loop, so polls are answered however many passwords are being checked; at most
    // DEFAULT_PASSWORD_WORKERS, since Node 20's availableParallelism counts the host's cores, not a container's quota.
    passwordWorkers: integer('PASSWORD_WORKERS', Math.min(DEFAULT_PASSWORD_WORKERS, Math.max(1, (limits.cores ?? 2) - 1)), 1, 256),
    passwordQueueLimit: integer('PASSWORD_QUEUE_LIMIT', 50, 1, 100000),
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', 10000, 0, 600000),
    streamPollMs: integer('STREAM_POLL_MS', 250, 10, 1000),
    streamHeartbeatSeconds: integer('STREAM_HEARTBEAT_SECONDS', 15, 1, 3600),
    streamRetryMs: integer('STREAM_RETRY_MS', 3000, 0, 600000),
    streamMaxPerUser: integer('STREAM_MAX_PER_USER', 10, 1, 100000),
    streamMaxPerInstance: integer('STREAM_MAX_PER_INSTANCE', Math.min(streamsForOpenFiles(limits.openFiles), 1000000), 1, 1000000),
    streamMaxBufferBytes: integer('STREAM_MAX_BUFFER_BYTES', 1048576, 1024, 1073741824),
    streamTicketSeconds: integer('STREAM_TICKET_SECONDS', 30, 1, 3600),
    // At most 5 s, so a logout on any instance closes the streams it opened within 5 s.
    streamRevalidateMs: integer('STREAM_REVALIDATE_MS', 4000, 100, 5000),
    metricsToken,
    slowRequestMs: integer('SLOW_REQUEST_MS', 1000, 1, 600000),
    loginExpirationDays: integer('LOGIN_EXPIRATION_DAYS', 90, 1, 36500),
    rocketChatScanMs: integer('ROCKETCHAT_SCAN_MS', 1000, 0, 3_600_000),
    connectionLeaseSeconds: integer('CONNECTION_LEASE_SECONDS', 30, 3, 3600),
    connectionRenewSeconds: integer('CONNECTION_RENEW_SECONDS', 5, 1, 1200),
    streamConnections: flag('STREAM_CONNECTIONS', true),
  };
  // A heartbeat may wait a round to be written, and must be written again before the lease runs out.
  if (config.connectionLeaseSeconds < 3 * config.connectionRenewSeconds) {
    problems.push(`CONNECTION_LEASE_SECONDS (${config.connectionLeaseSeconds}) must be at least 3 × CONNECTION_RENEW_SECONDS (${config.connectionRenewSeconds})`);
  }
  // With MongoDB a write may land after its stamp (half the overlap) and instances' clocks differ (the other half).
  if (config.mongodbUri !== undefined && config.deltaOverlapSeconds * 1000 < SHARED_STORE_MIN_OVERLAP_MS) {
    problems.push('DELTA_OVERLAP_SECONDS must be at least 1 with MONGODB_URI: writes land up to half of it after their change stamp');
  }
  // Past it a new connection is dropped by the system before any answer: never a 503 the client can act on.
  const holdable = streamsForOpenFiles(limits.openFiles);
  if (limits.openFiles !== undefined && config.streamMaxPerInstance > holdable) {
    problems.push(`STREAM_MAX_PER_INSTANCE (${config.streamMaxPerInstance}) is more than this process can hold with its open-file limit of ${limits.openFiles} (at most ${holdable}): raise the limit (ulimit -n) or lower it`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
