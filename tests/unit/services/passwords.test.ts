import bcrypt from 'bcryptjs';
import { createHash } from 'node:crypto';
import { PasswordChecksBusyError } from '../../../src/domain/ports/passwordHasher';
import { Passwords } from '../../../src/domain/services/passwords';
import { BcryptWorkerPool } from '../../../src/passwords/bcryptWorkerPool';

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

describe('Passwords over the bcrypt worker pool', () => {
  let pool: BcryptWorkerPool;
  let passwords: Passwords;
  beforeEach(() => {
    pool = new BcryptWorkerPool({ workers: 2, maxWaiting: 10 });
    passwords = new Passwords(pool);
  });
  afterEach(() => pool.close());

  it('stores bcrypt(sha256_hex(password)) at cost 10 ($2b$), so Rocket.Chat hashes verify here and the reverse', async () => {
    const stored = await passwords.hashPassword('s3cret');
    expect(stored).toMatch(/^\$2b\$10\$[./A-Za-z0-9]{53}$/);
    expect(await bcrypt.compare(sha256Hex('s3cret'), stored)).toBe(true);
    const fromRocketChat = await bcrypt.hash(sha256Hex('rc-pass'), 4);
    expect(await passwords.verifyPassword('rc-pass', fromRocketChat)).toBe(true);
    expect(await passwords.verifyPassword('wrong', fromRocketChat)).toBe(false);
    // Rocket.Chat's Meteor accounts wrote $2a$ hashes for years.
    expect(await passwords.verifyPassword('rc-pass', fromRocketChat.replace(/^\$2b\$/, '$2a$'))).toBe(true);
  });

  it('checks a digest the client sent (sha-256 hex) against the same hash as the password it came from', async () => {
    const stored = await bcrypt.hash(sha256Hex('digested'), 4);
    expect(await passwords.verifyPasswordDigest(sha256Hex('digested'), stored)).toBe(true);
    expect(await passwords.verifyPasswordDigest(sha256Hex('other'), stored)).toBe(false);
    // The digest is not a password: hashed again it matches nothing.
    expect(await passwords.verifyPassword(sha256Hex('digested'), stored)).toBe(false);
    // Nor is the password a digest.
    expect(await passwords.verifyPasswordDigest('digested', stored)).toBe(false);
  });

  it('verifies nothing against a missing hash', async () => {
    expect(await passwords.verifyPassword('anything', undefined)).toBe(false);
    expect(await passwords.verifyPasswordDigest(sha256Hex('anything'), undefined)).toBe(false);
  });

  it('refuses at once, with PasswordChecksBusyError, a check beyond its workers and its queue; the others complete', async () => {
    const small = new BcryptWorkerPool({ workers: 1, maxWaiting: 2 });
    try {
      const stored = await bcrypt.hash(sha256Hex('x'), 4);
      const checks = Array.from({ length: 5 }, () => small.compare(sha256Hex('x'), stored).then((matches) => matches, (error: unknown) => error));
      const answers = await Promise.all(checks);
      expect(answers.slice(0, 3)).toEqual([true, true, true]);
      expect(answers.slice(3).map((answer) => answer instanceof PasswordChecksBusyError)).toEqual([true, true]);
      // The queue drained: there is room again.
      expect(await small.compare(sha256Hex('x'), stored)).toBe(true);
    } finally {
      await small.close();
    }
  });

  it('once closed, refuses what waited and what comes after', async () => {
    const closing = new BcryptWorkerPool({ workers: 1, maxWaiting: 5 });
    const stored = await bcrypt.hash(sha256Hex('x'), 4);
    const checks = [closing.compare(sha256Hex('x'), stored), closing.compare(sha256Hex('x'), stored)].map((check) => check.catch((error: Error) => error.message));
    await closing.close();
    expect(await Promise.all(checks)).toEqual(['The password hasher is closed', 'The password hasher is closed']);
    await expect(closing.compare(sha256Hex('x'), stored)).rejects.toThrow('The password hasher is closed');
  });

  it('rejects a malformed call rather than hanging', async () => {
    await expect(pool.compare(sha256Hex('x'), 'not a bcrypt hash')).resolves.toBe(false);
    await expect(pool.hash(42 as unknown as string, 4)).rejects.toThrow(/Illegal arguments/);
  });
});
