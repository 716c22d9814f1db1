import { createMetrics } from '../../src/metrics/createMetrics';
import { instrumentStore } from '../../src/storage/storeWrappers';

class BaseStore {
  async ping(): Promise<void> {}
}

/** Stands for a store whose interface has grown: its new methods are instrumented without a change anywhere. */
class GrownStore extends BaseStore {
  readonly calls: string[] = [];
  async findSomething(id: string): Promise<string> {
    this.calls.push(id);
    return `found ${id}`;
  }
  async failSometimes(): Promise<void> {
    throw new Error('down');
  }
}

describe('instrumentStore', () => {
  it('wraps every method, own or inherited, keeping arguments, results, errors and `this`', async () => {
    const metrics = createMetrics();
    const inner = new GrownStore();
    const store = instrumentStore(inner, metrics);
    await expect(store.findSomething('a')).resolves.toBe('found a');
    await store.ping();
    await expect(store.failSometimes()).rejects.toThrow('down');
    expect(inner.calls).toEqual(['a']);
    const text = await metrics.registry.metrics();
    for (const method of ['findSomething', 'ping', 'failSometimes']) {
      expect(text).toContain(`presence_store_call_duration_seconds_count{method="${method}"} 1`);
    }
    expect(text).toContain('presence_store_call_errors_total{method="failSometimes"} 1');
    expect(text).not.toContain('presence_store_call_errors_total{method="findSomething"}');
  });

  it('leaves data properties alone', () => {
    const store = instrumentStore(new GrownStore(), createMetrics());
    expect(store.calls).toEqual([]);
  });
});

describe('instrumentStore and methods replaced later', () => {
  it('calls the method the store has at call time', async () => {
    const inner = new GrownStore();
    const store = instrumentStore(inner, createMetrics());
    inner.findSomething = async (id: string) => `replaced ${id}`;
    await expect(store.findSomething('b')).resolves.toBe('replaced b');
  });
});
