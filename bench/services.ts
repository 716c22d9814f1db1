/** The processes a scenario measures: the service as production builds it, and the baselines. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startChild, type Child } from './children';
import type { BaselineReady, BaselineServe, ServiceReady } from './protocol';
import { scenarioBudgetMs } from './settings';

export const ROOT = path.resolve(__dirname, '..', '..');
export const PROFILE_DIR = path.join(ROOT, 'bench-profiles');

/** The service's own settings are loadConfig's defaults: nothing from the caller's environment leaks in. */
const CONFIG_VARIABLES = [
  'PORT', 'MONGODB_URI', 'ADMIN_USERNAME', 'ADMIN_PASS', 'DELTA_WINDOW_SECONDS', 'DELTA_OVERLAP_SECONDS', 'PRESENCE_TTL_SECONDS',
  'LOG_LEVEL', 'STORE_TIMEOUT_MS', 'CACHE_MAX_AGE_MS', 'AUTH_CACHE_MAX_ENTRIES', 'CORS_ORIGINS', 'LOGIN_RATE_LIMIT',
  'LOGIN_RATE_WINDOW_SECONDS', 'TRUST_PROXY', 'SHUTDOWN_TIMEOUT_MS', 'METRICS_TOKEN', 'SLOW_REQUEST_MS', 'LOGIN_EXPIRATION_DAYS',
  'STREAM_POLL_MS', 'STREAM_HEARTBEAT_SECONDS', 'STREAM_RETRY_MS', 'STREAM_MAX_PER_USER', 'STREAM_MAX_PER_INSTANCE', 'STREAM_MAX_BUFFER_BYTES',
  'STREAM_TICKET_SECONDS', 'STREAM_REVALIDATE_MS', 'DATA_DIR', 'ROCKETCHAT_SCAN_MS', 'CONNECTION_LEASE_SECONDS', 'CONNECTION_RENEW_SECONDS',
  'STREAM_CONNECTIONS', 'PASSWORD_WORKERS', 'PASSWORD_QUEUE_LIMIT',
];

export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production' };
  for (const name of CONFIG_VARIABLES) delete env[name];
  delete env.NODE_OPTIONS;
  // The documented production level.
  env.LOG_LEVEL = 'info';
  return { ...env, ...extra };
}

export interface Service {
  child: Child;
  ready: ServiceReady;
}

/** What starting a service process needs to know of a scenario. */
export interface ServiceNeeds {
  name: string;
  users: number;
  tokens: number;
  changeEveryMs: number;
  /** Every seeded user online (default: every other one). */
  allOnline?: boolean;
  /** Service settings the scenario sets, as environment variables (loadConfig's defaults otherwise). */
  config?: Record<string, string>;
  /** How long the child may live (default: a poll scenario's budget). */
  budgetMs?: number;
}

export function profileFileOf(needs: Pick<ServiceNeeds, 'name'>): string {
  return path.join(PROFILE_DIR, `scenario-${needs.name}.cpuprofile`);
}

export async function startService(needs: ServiceNeeds, profiled: boolean): Promise<Service> {
  const profileFile = profiled ? profileFileOf(needs) : undefined;
  if (profileFile !== undefined) mkdirSync(PROFILE_DIR, { recursive: true });
  const child = startChild(path.join(__dirname, 'serviceProcess.js'), {
    // --expose-gc only lets the bench collect garbage before it reads the memory; it changes nothing else.
    execArgv: profileFile === undefined ? ['--expose-gc'] : ['--expose-gc', '--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${path.basename(profileFile)}`],
    env: childEnv({
      ...needs.config,
      BENCH_USERS: String(needs.users),
      BENCH_TOKENS: String(needs.tokens),
      BENCH_ALL_ONLINE: needs.allOnline === true ? '1' : '0',
      BENCH_CHANGE_EVERY_MS: String(needs.changeEveryMs),
      BENCH_CHILD_MAX_MS: String(needs.budgetMs ?? scenarioBudgetMs()),
    }),
    // The request log goes to stdout: /dev/null, so it is all done but nobody has to read it.
    quietStdout: true,
    label: 'service',
  });
  try {
    const ready = await child.next<ServiceReady>('ready', 300_000);
    return { child, ready };
  } catch (error) {
    await child.stop(1000);
    throw error;
  }
}

export async function startBaseline(kind: 'express' | 'http', serve: BaselineServe): Promise<{ child: Child; port: number }> {
  const child = startChild(path.join(__dirname, 'baselines.js'), {
    args: [kind],
    env: childEnv({ BENCH_CHILD_MAX_MS: String(scenarioBudgetMs()) }),
    quietStdout: false,
    label: `${kind} baseline`,
  });
  child.send(serve);
  try {
    const ready = await child.next<BaselineReady>('ready', 30_000);
    return { child, port: ready.port };
  } catch (error) {
    await child.stop(1000);
    throw error;
  }
}
