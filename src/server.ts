import type { Server } from 'node:http';
import { createApp } from './app';
import { answerClientErrors } from './http/clientErrors';
import { ConnectionDrain } from './http/connectionDrain';
import { ConfigError, loadConfig, type Config } from './config/loadConfig';
import { systemClock } from './domain/ports/clock';
import { createLogger } from './logger';
import { createMetrics } from './metrics/createMetrics';
import { createStore } from './storage/createStore';
import type { Store } from './domain/ports/store';
import type { Logger } from 'pino';
import { createAccounts } from './createAccounts';

/**
 * Stops accepting connections, ends the presence streams (their clients resume on another instance) and refuses
 * those still opening, lets in-flight requests finish (at most `timeoutMs`) on connections that close after
 * them, then closes the store.
 */
export async function shutDown(
  server: Server,
  store: Store,
  timeoutMs: number,
  logger: Logger,
  closeStreams: () => void = () => undefined,
  connections?: ConnectionDrain,
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  closeStreams();
  if (connections === undefined) server.closeIdleConnections();
  else connections.drain();
  const deadline = setTimeout(() => {
    logger.warn({ timeoutMs }, 'requests still running at the shutdown deadline; closing their connections');
    server.closeAllConnections();
  }, timeoutMs);
  await closed;
  clearTimeout(deadline);
  await store.close();
}

async function ensureAdmin(config: Config, store: Store, logger: Logger): Promise<void> {
  // A worker of its own, started only if the admin has to be created, ended before the app starts its own.
  const { accounts, close } = createAccounts(store, systemClock, config, 'oneOff');
  const result = await accounts.ensureAdmin(config.adminUsername, config.adminPassword, config.adminEmail).finally(close);
  if (result.generatedPassword !== undefined) {
    // Shown once, at creation, so a zero set-up start can be logged into; set ADMIN_PASS to choose it instead.
    // Printed for the person at the terminal, never into the log stream, which is collected and kept.
    process.stderr.write(`Admin user "${config.adminUsername}" created with the generated password: ${result.generatedPassword}\n`);
    logger.warn({ username: config.adminUsername }, 'created admin user with a generated password (printed to stderr)');
  } else if (result.created) {
    logger.info({ username: config.adminUsername }, 'created admin user');
  }
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel);
  const store = await createStore(config, logger);
  await ensureAdmin(config, store, logger);

  const metrics = createMetrics({ processMetrics: true });
  const app = createApp({ store, clock: systemClock, config, logger, metrics });
  const server = app.listen(config.port, () => {
    logger.info({ port: config.port, store: config.mongodbUri === undefined ? 'embedded' : 'mongodb', maxStreams: config.streamMaxPerInstance }, 'presence service listening');
  });
  const connections = new ConnectionDrain(server);

  // Requests Node refuses before Express sees them (malformed, headers too large) still get a JSON answer, and are counted.
  answerClientErrors(server, metrics);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // The password workers end after the last request, which may still be checking one.
    shutDown(server, store, config.shutdownTimeoutMs, logger, () => app.closeStreams(), connections).then(() => app.closeWorkers()).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`presence service failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
