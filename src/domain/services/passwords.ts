import { createHash } from 'node:crypto';
import type { PasswordHasher } from '../ports/passwordHasher';
import { BCRYPT_ROUNDS, UNMATCHABLE_HASH } from '../rules/accounts';

/**
 * Rocket.Chat's clients hash the password with SHA-256 before bcrypt sees it (its `{ digest, algorithm:
 * 'sha-256' }` login form sends this digest); stored hashes are bcrypt of it.
 */
export function preHashPassword(password: string): string {
  return createHash('sha256').update(password).digest('hex');
}

/**
 * Rocket.Chat's password rules over the PasswordHasher port, which runs bcrypt off the event loop: stored hashes
 * are bcrypt (cost 10) of the password's SHA-256 hex digest, so Rocket.Chat's own hashes verify here and the reverse.
 * A full hasher queue rejects with PasswordChecksBusyError.
 */
export class Passwords {
  constructor(private readonly hasher: PasswordHasher) {}

  hashPassword(password: string): Promise<string> {
    return this.hasher.hash(preHashPassword(password), BCRYPT_ROUNDS);
  }

  /** Whether `password` (in clear) matches; a user without a hash costs the same time and never matches. */
  verifyPassword(password: string, storedHash: string | undefined): Promise<boolean> {
    return this.verifyPasswordDigest(preHashPassword(password), storedHash);
  }

  /** As verifyPassword, for a client that sent the SHA-256 hex digest itself (`{ digest, algorithm: 'sha-256' }`). */
  verifyPasswordDigest(digest: string, storedHash: string | undefined): Promise<boolean> {
    return this.hasher.compare(digest, storedHash ?? UNMATCHABLE_HASH);
  }
}
