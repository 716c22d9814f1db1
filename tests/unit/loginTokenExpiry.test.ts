import { loginTokenExpiresAtMs, loginTokensExpiredBefore, tokenExpiresAtMs } from '../../src/domain/loginTokenExpiry';

const isLoginTokenExpired = (when: Date, at: Date, days: number) => at.getTime() > tokenExpiresAtMs({ when, hashedToken: 'h' }, days);

const now = new Date('2026-04-10T12:00:00.000Z');

describe('login token expiry', () => {
  it('a token lasts exactly the configured number of days', () => {
    expect(loginTokenExpiresAtMs(new Date('2026-01-10T12:00:00.000Z'), 90)).toBe(new Date('2026-04-10T12:00:00.000Z').getTime());
  });

  it('is valid up to its last millisecond and expired after', () => {
    expect(isLoginTokenExpired(new Date('2026-01-10T12:00:00.000Z'), now, 90)).toBe(false);
    expect(isLoginTokenExpired(new Date('2026-01-10T11:59:59.999Z'), now, 90)).toBe(true);
    expect(isLoginTokenExpired(new Date('2026-04-10T11:00:00.000Z'), now, 1)).toBe(false);
  });

  it('a token made in the future (another instance with a clock ahead) is valid', () => {
    expect(isLoginTokenExpired(new Date('2026-04-10T12:00:05.000Z'), now, 90)).toBe(false);
  });

  it('a token without a valid date is expired', () => {
    expect(isLoginTokenExpired(new Date(Number.NaN), now, 90)).toBe(true);
  });

  it('pruning removes exactly the tokens that have expired', () => {
    const cutoff = loginTokensExpiredBefore(now, 90);
    expect(cutoff.toISOString()).toBe('2026-01-10T12:00:00.000Z');
    const justExpired = new Date(cutoff.getTime() - 1);
    expect(justExpired < cutoff && isLoginTokenExpired(justExpired, now, 90)).toBe(true);
    expect(!(cutoff < cutoff) && !isLoginTokenExpired(cutoff, now, 90)).toBe(true);
  });

  it('a Rocket.Chat personal access token (no `when`) never expires', () => {
    expect(tokenExpiresAtMs({ hashedToken: 'h', type: 'personalAccessToken' } as never, 90)).toBe(Number.POSITIVE_INFINITY);
  });
});
