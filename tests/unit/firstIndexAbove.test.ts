import { firstIndexAbove } from '../../src/domain/firstIndexAbove';

describe('firstIndexAbove', () => {
  const sorted = [1, 2, 2, 2, 5, 8];
  it('skips every value at or below the one asked for', () => {
    expect(firstIndexAbove(sorted, 2)).toBe(4);
    expect(firstIndexAbove(sorted, 0)).toBe(0);
    expect(firstIndexAbove(sorted, 8)).toBe(6);
  });
  it('starts no earlier than `from`', () => {
    expect(firstIndexAbove(sorted, 0, 3)).toBe(3);
  });
});
