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

/**
 * Wraps every method of a store so each call's time and failures are counted under the method's name. Built from
 * the methods the store has at run time, so it follows the store interface as it grows or shrinks.
 */
export function instrumentStore<S extends object>(store: S, metrics: Pick<Metrics, 'storeCallDuration' | 'storeCallErrors'>): S {
  const instrumented = Object.create(store) as Record<string, unknown>;
  for (const name of methodNamesOf(store)) {
    const failed = () => metrics.storeCallErrors.inc({ method: name });
    instrumented[name] = (...args: unknown[]): unknown => {
      const started = performance.now();
      const settled = () => metrics.storeCallDuration.observe({ method: name }, (performance.now() - started) / 1000);
      let result: unknown;
      try {
        // Looked up on each call, so a method replaced on the store later (a test's spy) is the one called.
        result = (store as Record<string, (...args: unknown[]) => unknown>)[name](...args);
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
    };
  }
  return instrumented as S;
}
