import { codePointLength, sameString, firstIndexAbove, parseIsoDateTime, detachedString, withFields } from '../../src/utils';
import { DateTime } from 'luxon';

describe('codePointLength', () => {
  it('counts ASCII characters', () => expect(codePointLength('hello')).toBe(5));
  it('counts an astral emoji once, though it is two UTF-16 units', () => {
    expect('🏒'.length).toBe(2);
    expect(codePointLength('🏒')).toBe(1);
  });
  it('counts the empty string as 0', () => expect(codePointLength('')).toBe(0));
});

describe('sameString', () => {
  it('is true for equal strings', () => expect(sameString('abc', 'abc')).toBe(true));
  it('is false for different strings of the same length', () => expect(sameString('abc', 'abd')).toBe(false));
  it('is false for different lengths', () => expect(sameString('abc', 'abcd')).toBe(false));
  it('compares bytes, not UTF-16 units', () => expect(sameString('é', 'e')).toBe(false));
});

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

describe('parseIsoDateTime', () => {
  it.each([
    ['2019-05-22T12:11:45.392Z', '2019-05-22T12:11:45.392Z'],
    ['2019-05-22T12:11:45Z', '2019-05-22T12:11:45.000Z'],
    ['2019-05-22T12:11Z', '2019-05-22T12:11:00.000Z'],
    ['2019-05-22T12:11:45.392', '2019-05-22T12:11:45.392Z'],
    ['2019-05-22T12:11', '2019-05-22T12:11:00.000Z'],
    ['2019-05-22T14:11:45.392+02:00', '2019-05-22T12:11:45.392Z'],
    ['2019-05-22T07:11:45-0500', '2019-05-22T12:11:45.000Z'],
  ])('reads %s as %s', (text, iso) => expect(parseIsoDateTime(text)?.toISOString()).toBe(iso));

  it.each(['', 'yesterday', '2019-05-22', '1558527105392', '2026-02-30T10:00:00Z', '2019-05-22T25:00:00Z', '2019-05-22T12:11:45.392Zjunk', '2019-05-22T12:11:45+25:00', '2019-05-22T12:11:45+14:60', '2019-05-22T12:11:45-9999'])(
    'refuses %p',
    (text) => expect(parseIsoDateTime(text)).toBeUndefined(),
  );

  it('reads what toISOString writes as luxon does, without it, and refuses the impossible dates of that shape', () => {
    for (let k = 0; k < 2000; k += 1) {
      const text = new Date(Date.UTC(1970 + (k % 90), k % 12, 1 + (k % 28), k % 24, k % 60, (k * 7) % 60, k % 1000)).toISOString();
      expect(parseIsoDateTime(text)?.getTime()).toBe(DateTime.fromISO(text, { zone: 'utc' }).toMillis());
    }
    for (const text of ['2026-02-30T10:00:00.000Z', '2026-13-01T10:00:00.000Z', '2026-01-01T10:60:00.000Z', '2026-01-01T10:00:60.000Z']) {
      expect(parseIsoDateTime(text)).toBeUndefined();
    }
  });
});

describe('detachedString', () => {
  it('is the same text', () => {
    for (const text of ['', 'a', 'twelve chars', 'thirteen char', 'FGYWSJeQHyKjPbuPZ', 'x'.repeat(5000), 'é☕ unicode ✓ text']) expect(detachedString(text)).toBe(text);
  });
});

describe('withFields', () => {
  it('is the spread of both: the extra fields win, and neither object changes', () => {
    const base = { a: 1, b: 2 };
    const extra = { b: 3, c: 4 };
    expect(withFields(base, extra)).toStrictEqual({ ...base, ...extra });
    expect(base).toStrictEqual({ a: 1, b: 2 });
    expect(extra).toStrictEqual({ b: 3, c: 4 });
  });

});
