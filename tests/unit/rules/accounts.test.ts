import bcrypt from 'bcryptjs';
import { createHash } from 'node:crypto';
import { hashLoginToken, hashPassword, newLoginToken, newUserId, verifyPassword, verifyPasswordDigest, loginAttemptKey, loginTokenExpiresAtMs, loginTokensToPrune, MAX_LOGIN_TOKENS, tokenExpiresAtMs, isTicketCurrent, isTokenLive } from '../../../src/domain/rules/accounts';

describe('credentials', () => {
  it('hashes a login token as Rocket.Chat does: base64(sha256(token))', () => {
    expect(hashLoginToken('abc')).toBe(createHash('sha256').update('abc').digest('base64'));
  });
  it('stores bcrypt(sha256_hex(password)), so Rocket.Chat hashes verify here and the reverse', async () => {
    const stored = await hashPassword('s3cret');
    expect(await bcrypt.compare(createHash('sha256').update('s3cret').digest('hex'), stored)).toBe(true);
    const fromRocketChat = await bcrypt.hash(createHash('sha256').update('rc-pass').digest('hex'), 4);
    expect(await verifyPassword('rc-pass', fromRocketChat)).toBe(true);
    expect(await verifyPassword('wrong', fromRocketChat)).toBe(false);
  });
  it('verifies nothing against a missing hash', async () => {
    expect(await verifyPassword('anything', undefined)).toBe(false);
    expect(await verifyPasswordDigest(createHash('sha256').update('anything').digest('hex'), undefined)).toBe(false);
  });
  it('verifies the SHA-256 hex digest of the password in its place (Meteor’s hashed password), and only that', async () => {
    const stored = await hashPassword('s3cret');
    expect(await verifyPasswordDigest(createHash('sha256').update('s3cret').digest('hex'), stored)).toBe(true);
    expect(await verifyPasswordDigest(createHash('sha256').update('wrong').digest('hex'), stored)).toBe(false);
    // The password itself is no digest.
    expect(await verifyPasswordDigest('s3cret', stored)).toBe(false);
  });
  it('makes 43-character URL-safe tokens and 17-character ids, different each time', () => {
    expect(newLoginToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newUserId()).toMatch(/^[23456789A-HJ-NP-TW-Za-km-z]{17}$/);
    expect(new Set(Array.from({ length: 100 }, () => newLoginToken())).size).toBe(100);
    expect(new Set(Array.from({ length: 100 }, () => newUserId())).size).toBe(100);
  });
});

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
    const tokens = [
      { when: new Date('2026-01-10T11:59:59.999Z'), hashedToken: 'expired' },
      { when: new Date('2026-01-10T12:00:00.000Z'), hashedToken: 'last-valid-millisecond' },
      { when: new Date('2026-04-01T00:00:00.000Z'), hashedToken: 'recent' },
    ];
    expect(loginTokensToPrune(tokens, now, 90)).toEqual(['expired']);
  });

  it('a Rocket.Chat personal access token (no `when`) never expires', () => {
    expect(tokenExpiresAtMs({ hashedToken: 'h', type: 'personalAccessToken' } as never, 90)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('how many login tokens a user keeps', () => {
  const token = (i: number) => ({ when: new Date(now.getTime() - (1000 - i) * 60_000), hashedToken: `t${i}` });

  it(`keeps room for the new token: at ${MAX_LOGIN_TOKENS} live tokens the oldest goes`, () => {
    const tokens = Array.from({ length: MAX_LOGIN_TOKENS }, (_, i) => token(i));
    expect(loginTokensToPrune(tokens, now, 90)).toEqual(['t0']);
    expect(loginTokensToPrune(tokens.slice(1), now, 90)).toEqual([]);
  });

  it('prunes the oldest by login time, whatever the order stored, and every expired one', () => {
    const tokens = [...Array.from({ length: MAX_LOGIN_TOKENS + 2 }, (_, i) => token(i))].reverse();
    tokens.push({ when: new Date('2025-01-01T00:00:00.000Z'), hashedToken: 'expired' });
    expect(loginTokensToPrune(tokens, now, 90).sort()).toEqual(['expired', 't0', 't1', 't2'].sort());
  });

  it('never prunes a personal access token, however many there are', () => {
    const pats = Array.from({ length: MAX_LOGIN_TOKENS + 5 }, (_, i) => ({ hashedToken: `pat${i}`, type: 'personalAccessToken' }) as never);
    expect(loginTokensToPrune(pats, now, 90)).toEqual([]);
  });
});

describe('login attempt keys', () => {
  it('count every spelling of an unknown login name together, and apart from the address and the account kinds', () => {
    expect(loginAttemptKey('login', 'Alice')).toBe(loginAttemptKey('login', 'alice'));
    const keys = [loginAttemptKey('login', 'alice'), loginAttemptKey('account', 'alice'), loginAttemptKey('address', '10.0.0.1'), loginAttemptKey('address', '10.0.0.2')];
    expect(keys.map((key) => key.replace(/:[A-Za-z0-9_-]{32}$/, ':…'))).toEqual(['login:…', 'account:…', 'address:…', 'address:…']);
    expect(new Set(keys).size).toBe(4);
    // The same value under two kinds differs by the kind alone; two addresses by the hash.
    expect(keys[0].slice('login:'.length)).toBe(keys[1].slice('account:'.length));
    expect(keys[2]).toBe(`address:${createHash('sha256').update('10.0.0.1').digest('base64url').slice(0, 32)}`);
  });

  it('are of one bounded size and hold no name or address in clear, however long the input', () => {
    const key = loginAttemptKey('login', 'x'.repeat(10_000));
    expect(key).toMatch(/^login:[A-Za-z0-9_-]{32}$/);
    expect(loginAttemptKey('address', '192.0.2.77')).not.toContain('192.0.2.77');
  });
});

describe('isTokenLive and isTicketCurrent', () => {
  it('a login token authenticates up to its last millisecond', () => {
    const token = { when: new Date('2026-01-10T12:00:00.000Z'), hashedToken: 'h' };
    expect(isTokenLive(token, new Date('2026-04-10T12:00:00.000Z'), 90)).toBe(true);
    expect(isTokenLive(token, new Date('2026-04-10T12:00:00.001Z'), 90)).toBe(false);
  });
  it('a stream ticket is current strictly before it expires', () => {
    const ticket = { hashedTicket: 't', userId: 'u', hashedToken: 'h', expiresAt: new Date('2026-01-01T00:00:30.000Z') };
    expect(isTicketCurrent(ticket, new Date('2026-01-01T00:00:29.999Z'))).toBe(true);
    expect(isTicketCurrent(ticket, new Date('2026-01-01T00:00:30.000Z'))).toBe(false);
  });
});
