import { setFlagsFromString } from 'node:v8';
import { withFields } from '../../src/utils';

/**
 * withFields exists for V8's hidden classes (src/utils.ts). Its own file: the natives flag it turns on stays on for
 * the rest of the worker. V8's check is compiled after the flag allows it.
 */
setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
const identity = (i: number) => ({ userId: `u${i}`, username: `n${i}`, roles: ['user'] });

describe('hidden classes of objects built from others', () => {
  it('withFields gives objects built alike one hidden class', () => {
    const built = Array.from({ length: 50 }, (_, i) => withFields(identity(i), { hashedToken: `h${i}` }));
    expect(haveSameMap(built[48], built[49])).toBe(true);
    // The check tells shapes apart.
    expect(haveSameMap(built[49], withFields(identity(49), { token: 'h49' }))).toBe(false);
  });

  // The premise, on the Node these machines run: when a later V8 shares these maps, withFields is no longer needed.
  (process.versions.node.startsWith('20.') ? it : it.skip)('a spread followed by a new field gives each object a map of its own (Node 20)', () => {
    const spread = Array.from({ length: 50 }, (_, i) => ({ ...identity(i), hashedToken: `h${i}` }));
    expect(haveSameMap(spread[48], spread[49])).toBe(false);
  });
});
