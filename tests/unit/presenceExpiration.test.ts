import { MAX_EXPIRATION_AHEAD_MS, resolveExpiration } from '../../src/domain/presenceExpiration';

const now = new Date('2026-01-01T12:00:00.000Z');
const nowSeconds = now.getTime() / 1000;

describe('resolveExpiration', () => {
  it('defaults to now plus the time to live', () => {
    expect(resolveExpiration(undefined, now, 900_000)).toEqual({ ok: true, expiresAt: new Date(now.getTime() + 900_000) });
  });
  it('takes Unix seconds', () => {
    expect(resolveExpiration(String(nowSeconds + 60), now, 900_000)).toEqual({ ok: true, expiresAt: new Date(now.getTime() + 60_000) });
  });
  it('accepts exactly 7 days ahead', () => {
    expect(resolveExpiration(String(nowSeconds + MAX_EXPIRATION_AHEAD_MS / 1000), now, 1).ok).toBe(true);
  });
  it.each([
    ['now', String(nowSeconds)],
    ['the past', String(nowSeconds - 1)],
    ['more than 7 days ahead', String(nowSeconds + MAX_EXPIRATION_AHEAD_MS / 1000 + 1)],
    ['a fraction', `${nowSeconds + 60}.5`],
    ['negative', '-5'],
    ['not a number', 'soon'],
    ['empty', ''],
  ])('refuses %s', (_, value) => expect(resolveExpiration(value, now, 900_000).ok).toBe(false));
});
