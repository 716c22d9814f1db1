import qs from 'qs';
import { parseQueryString } from '../../src/http/queryString';

const LIMITS = { arrayLimit: 1000, parameterLimit: 2000 };
const viaQs = (text: string) => qs.parse(text, LIMITS);

/** A small deterministic generator, so a failure names a query string that can be tried again. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

const KEYS = ['ids', 'ids[]', 'from', 'update_presence', 'a.b', 'x-y', 'constructor', 'toString', '__proto__', 'ids[0]', 'ids[1]', 'a[b]', 'a[b][]', 'ids%5B%5D', 'ids%5b%5d', '', 'é', 'a+b', 'ticket'];
const VALUES = ['', 'u1', 'FGYWSJeQHyKjPbuPZ', 'a,b,c', '2019-05-22T12:11:45.392Z', '2019-05-22T12%3A11%3A45.392Z', 'x+y', '%E2%98%95', '%zz', '%', 'a]=b', '[', 'caf%C3%A9', '1', '0', 'a=b'];

describe('parseQueryString (qs, quicker on plain parameters and lists)', () => {
  it('answers exactly as qs on what clients send', () => {
    const ids = Array.from({ length: 50 }, (_, k) => `user${k}abcdefghij`);
    const cases = [
      '',
      `ids=${ids.join(',')}`,
      ids.map((id) => `ids[]=${id}`).join('&'),
      ids.map((id) => `ids=${id}`).join('&'),
      'from=2019-05-22T12%3A11%3A45.392Z',
      'from=2019-05-22T12:11:45.392Z&update_presence=away+for+lunch',
      'update_presence=%E2%98%95&ids[]=a',
      'ticket=abc&lastEventId=0a1b2c3d-4',
      'a=1&&b=2&',
    ];
    for (const text of cases) expect({ text, parsed: parseQueryString(text, LIMITS) }).toEqual({ text, parsed: viaQs(text) });
  });

  it('answers exactly as qs on 20 000 random query strings of awkward keys and values', () => {
    const next = random(14);
    const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)];
    for (let n = 0; n < 20_000; n += 1) {
      const parts = Array.from({ length: 1 + Math.floor(next() * 6) }, () => {
        const key = pick(KEYS);
        return next() < 0.1 ? key : `${key}=${pick(VALUES)}`;
      });
      const text = parts.join('&');
      expect({ text, parsed: parseQueryString(text, LIMITS) }).toEqual({ text, parsed: viaQs(text) });
    }
  });

  it('leaves lists longer than the limit to qs, which makes them objects', () => {
    const text = Array.from({ length: 1200 }, (_, k) => `ids[]=u${k}`).join('&');
    expect(parseQueryString(text, LIMITS)).toEqual(viaQs(text));
    expect(Array.isArray(parseQueryString(text, LIMITS).ids)).toBe(false);
  });
});
