import { sameString } from '../../src/domain/sameString';

describe('sameString', () => {
  it('is true for equal strings', () => expect(sameString('abc', 'abc')).toBe(true));
  it('is false for different strings of the same length', () => expect(sameString('abc', 'abd')).toBe(false));
  it('is false for different lengths', () => expect(sameString('abc', 'abcd')).toBe(false));
  it('compares bytes, not UTF-16 units', () => expect(sameString('é', 'e')).toBe(false));
});
