import bcrypt from 'bcryptjs';
import { createHash } from 'node:crypto';
import { UNMATCHABLE_HASH } from '../../../src/domain/rules/accounts';
import { hashLoginToken, loginAttemptKey, newGeneratedPassword, newLoginToken, newRandomId, newUserId } from '../../../src/domain/services/credentials';
import { preHashPassword } from '../../../src/domain/services/passwords';

describe('credentials', () => {
  it('hashes a login token as Rocket.Chat does: base64(sha256(token))', () => {
    expect(hashLoginToken('abc')).toBe(createHash('sha256').update('abc').digest('base64'));
  });
  it('pre-hashes a password as Rocket.Chat\'s clients do: sha256 hex', () => {
    expect(preHashPassword('s3cret')).toBe(createHash('sha256').update('s3cret').digest('hex'));
  });
  it('has an unmatchable hash bcrypt reads as a cost-10 hash', async () => {
    expect(bcrypt.getRounds(UNMATCHABLE_HASH)).toBe(10);
    expect(await bcrypt.compare(preHashPassword(''), UNMATCHABLE_HASH)).toBe(false);
  });
  it('makes 43-character URL-safe tokens and 17-character ids, different each time', () => {
    expect(newLoginToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newUserId()).toMatch(/^[23456789A-HJ-NP-TW-Za-km-z]{17}$/);
    expect(new Set(Array.from({ length: 100 }, () => newLoginToken())).size).toBe(100);
    expect(new Set(Array.from({ length: 100 }, () => newUserId())).size).toBe(100);
  });
  it('makes 20-character generated passwords and 16-character connection ids, different each time', () => {
    expect(newGeneratedPassword()).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(newRandomId()).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(new Set(Array.from({ length: 100 }, () => newRandomId())).size).toBe(100);
  });
});

describe('login attempt keys', () => {
  it('count every spelling of a login name together, and apart from the address kind', () => {
    expect(loginAttemptKey('login', 'Alice')).toBe(loginAttemptKey('login', 'alice'));
    const keys = [loginAttemptKey('login', '10.0.0.1'), loginAttemptKey('address', '10.0.0.1'), loginAttemptKey('address', '10.0.0.2')];
    expect(keys.map((key) => key.replace(/:[A-Za-z0-9_-]{32}$/, ':…'))).toEqual(['login:…', 'address:…', 'address:…']);
    expect(new Set(keys).size).toBe(3);
    // The same value under two kinds differs by the kind alone; two addresses by the hash.
    expect(keys[0].slice('login:'.length)).toBe(keys[1].slice('address:'.length));
    expect(keys[1]).toBe(`address:${createHash('sha256').update('10.0.0.1').digest('base64url').slice(0, 32)}`);
  });

  it('are of one bounded size and hold no name or address in clear, however long the input', () => {
    const key = loginAttemptKey('login', 'x'.repeat(10_000));
    expect(key).toMatch(/^login:[A-Za-z0-9_-]{32}$/);
    expect(loginAttemptKey('address', '192.0.2.77')).not.toContain('192.0.2.77');
  });
});
