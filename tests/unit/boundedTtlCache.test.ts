import { BoundedTtlCache } from '../../src/domain/boundedTtlCache';

describe('BoundedTtlCache', () => {
  it('returns an entry until its time to live passes', () => {
    const cache = new BoundedTtlCache<string>(10, 1000);
    cache.set('k', 'v', 0);
    expect(cache.get('k', 999)).toBe('v');
    expect(cache.get('k', 1000)).toBeUndefined();
  });
  it('drops the oldest entry beyond its size', () => {
    const cache = new BoundedTtlCache<number>(2, 1000);
    cache.set('a', 1, 0);
    cache.set('b', 2, 0);
    cache.set('c', 3, 0);
    expect(cache.size).toBe(2);
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.get('c', 1)).toBe(3);
  });
  it('forgets a deleted entry at once', () => {
    const cache = new BoundedTtlCache<number>(2, 1000);
    cache.set('a', 1, 0);
    cache.delete('a');
    expect(cache.get('a', 1)).toBeUndefined();
  });
  it('caches nothing with a zero time to live', () => {
    const cache = new BoundedTtlCache<number>(2, 0);
    cache.set('a', 1, 0);
    expect(cache.size).toBe(0);
  });
});
