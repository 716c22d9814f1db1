import { createHash, randomBytes, randomInt } from 'node:crypto';
import bcrypt from 'bcryptjs';

/** Rocket.Chat stores login tokens as base64(sha256(token)) and never in clear. */
export function hashLoginToken(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}

/** Rocket.Chat's clients hash the password with SHA-256 before bcrypt sees it; stored hashes follow suit. */
function preHashPassword(password: string): string {
  return createHash('sha256').update(password).digest('hex');
}

const BCRYPT_ROUNDS = 10;

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(preHashPassword(password), BCRYPT_ROUNDS);
}

/** A well-formed hash that matches nothing, so an unknown user costs the same bcrypt time as a wrong password. */
const UNMATCHABLE_HASH = '$2b$10$' + 'A'.repeat(53);

export function verifyPassword(password: string, storedHash: string | undefined): Promise<boolean> {
  return bcrypt.compare(preHashPassword(password), storedHash ?? UNMATCHABLE_HASH);
}

/** 43 URL-safe characters, like Rocket.Chat's Random.secret(). */
export function newLoginToken(): string {
  return randomBytes(32).toString('base64url');
}

const ID_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz';

/** 17 characters from Meteor's alphabet, so ids look like Rocket.Chat's own. */
export function newUserId(): string {
  let id = '';
  for (let i = 0; i < 17; i += 1) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}
