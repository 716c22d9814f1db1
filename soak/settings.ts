/**
 * The soak's settings: the SOAK_* environment variables (documented at the top of run.ts) read once, and its
 * fixed timeouts.
 */

function intEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return value;
}

export const SECONDS = intEnv('SOAK_SECONDS', 60, 1);
export const CLIENTS = intEnv('SOAK_CLIENTS', 200, 1);
export const USERS = Math.max(intEnv('SOAK_USERS', 250, 1), CLIENTS);
export const THINK_MS = intEnv('SOAK_THINK_MS', 0, 0);
export const MAX_REQUESTS = intEnv('SOAK_MAX_REQUESTS', 5_000_000, 1);
export const SUBSCRIBERS = intEnv('SOAK_SUBSCRIBERS', 50, 0);
export const CONSUMERS = intEnv('SOAK_CONSUMERS', 3, 1);
/** Subscribers are done when no event has come for this long after the clients stopped. */
export const STREAM_SETTLE_MS = 1500;
export const REQUEST_TIMEOUT_MS = 15_000;
/** However the run goes, the process ends by then. */
export const WATCHDOG_MS = SECONDS * 1000 * 2 + 120_000;
