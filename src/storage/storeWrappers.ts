import { StoreUnavailableError, type Store } from '../domain/ports/store';
import type { Metrics } from '../metrics/createMetrics';

/** The names of every method an object has, own or inherited (class methods live on prototypes). */
function methodNamesOf(target: object): string[] {
  const names = new Set<string>();
  for (let level: object | null = target; level !== null && level !== Object.prototype; level = Object.getPrototypeOf(level)) {
    for (const name of Object.getOwnPropertyNames(level)) {
      if (name !== 'constructor' && typeof (target as Record<string, unknown>)[name] === 'function') names.add(name);
    }
  }
  return [...names];
}

type Call = (...args: unknown[]) => unknown;

/**
 * The store with each method (but those in `except`) replaced by `wrap(name, call)`; its properties read through.
 * Built from the methods the store has at run time, so it follows the store interface as it grows or shrinks.
 */
function wrapEachMethod<S extends object>(store: S, wrap: (name: string, call: () => unknown) => unknown, except: readonly string[] = []): S {
  const wrapped = Object.create(store) as Record<string, unknown>;
  for (const name of methodNamesOf(store)) {
    if (except.includes(name)) continue;
    // Looked up on each call, so a method replaced on the store later (a test's spy) is the one called.
    wrapped[name] = (...args: unknown[]): unknown => wrap(name, () => ((store as Record<string, Call>)[name] as Call).apply(store, args));
  }
  return wrapped as S;
}

/** MongoDB server codes seen while a replica set has no primary (an election, a stepdown, a node shutting down). */
const NO_PRIMARY_CODES = new Set([91, 189, 10107, 11600, 11602, 13435, 13436]);

/** Errors that mean "the store cannot be reached right now", as opposed to a bad request or a bug. */
function isUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, hasErrorLabel } = error as { code?: unknown; hasErrorLabel?: (label: string) => boolean };
  if (typeof code === 'number' && NO_PRIMARY_CODES.has(code)) return true;
  if (hasErrorLabel?.call(error, 'RetryableWriteError') || hasErrorLabel?.call(error, 'ResetPool')) return true;
  return /^Mongo(Network|ServerSelection|NotConnected|Topology|PoolCleared|WriteConcern|OperationTimeout)|^MongooseServerSelection/.test(error.name)
    || /client must be connected|Connection .* closed|buffering timed out/i.test(error.message);
}

/**
 * Wraps a store so that every call settles within `timeoutMs`: a call the store does not answer in time, or one
 * that fails for lack of a connection or of a primary, rejects with StoreUnavailableError, which clients see as
 * 503. Nothing hangs while the database has a bad minute, and the driver reconnects by itself afterwards.
 */
export function withTimeout(store: Store, timeoutMs: number): Store {
  return wrapEachMethod(store, (operation, call) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreUnavailableError(`${operation} timed out after ${timeoutMs} ms`)), timeoutMs);
    (call() as Promise<unknown>).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(isUnavailableError(error) ? new StoreUnavailableError(`${operation}: ${(error as Error).message}`) : error);
      },
    );
  }), ['close']);
}

/** Wraps every method of a store so each call's time and failures are counted under the method's name. */
export function instrumentStore<S extends object>(store: S, metrics: Pick<Metrics, 'storeCallDuration' | 'storeCallErrors'>): S {
  return wrapEachMethod(store, (name, call) => {
    const started = performance.now();
    const settled = () => metrics.storeCallDuration.observe({ method: name }, (performance.now() - started) / 1000);
    const failed = () => metrics.storeCallErrors.inc({ method: name });
    let result: unknown;
    try {
      result = call();
    } catch (error) {
      failed();
      throw error;
    }
    if (!(result instanceof Promise)) {
      settled();
      return result;
    }
    return result.then(
      (value: unknown) => {
        settled();
        return value;
      },
      (error: unknown) => {
        settled();
        failed();
        throw error;
      },
    );
  });
}
