import { codePointLength } from '../../src/domain/codePoints';

describe('codePointLength', () => {
  it('counts ASCII characters', () => expect(codePointLength('hello')).toBe(5));
  it('counts an astral emoji once, though it is two UTF-16 units', () => {
    expect('🏒'.length).toBe(2);
    expect(codePointLength('🏒')).toBe(1);
  });
  it('counts the empty string as 0', () => expect(codePointLength('')).toBe(0));
});
