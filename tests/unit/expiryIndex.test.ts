import { ExpiryIndex } from '../../src/storage/memory/expiryIndex';

const collect = (index: ExpiryIndex, since: number, now: number) => {
  const ids = new Set<string>();
  index.collectExpired(since, now, ids);
  return [...ids].sort();
};

describe('ExpiryIndex', () => {
  it('finds the presences that expire in [since, now]', () => {
    const index = new ExpiryIndex();
    index.set('a', new Date(1500));
    index.set('b', new Date(2500));
    index.set('c', new Date(9000));
    expect(collect(index, 1000, 2500)).toEqual(['a', 'b']);
    expect(collect(index, 1501, 3000)).toEqual(['b']);
    expect(collect(index, 1500, 1500)).toEqual(['a']);
  });
  it('forgets the old expiry when a presence is renewed or ended', () => {
    const index = new ExpiryIndex();
    index.set('a', new Date(1500));
    index.set('a', new Date(5000));
    index.set('b', new Date(1600));
    index.set('b', null);
    expect(collect(index, 1000, 2000)).toEqual([]);
    expect(collect(index, 1000, 5000)).toEqual(['a']);
  });
});
