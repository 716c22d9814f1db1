import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { hashLoginToken, hashPassword, newLoginToken, newUserId, verifyPassword } from '../../src/domain/credentials';

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
  });
  it('makes 43-character URL-safe tokens and 17-character ids, different each time', () => {
    expect(newLoginToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newUserId()).toMatch(/^[23456789A-HJ-NP-TW-Za-km-z]{17}$/);
    expect(newLoginToken()).not.toBe(newLoginToken());
  });
});
