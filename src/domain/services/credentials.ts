import { createHash, randomBytes, randomInt } from 'node:crypto';
import { loginAttemptSubject } from '../rules/accounts';

/**
 * The hashing and randomness behind accounts and connections, kept out of the pure rules (src/domain/rules): new
 * secrets and ids, and the one-way hashes under which tokens and login attempts are stored.
 */

/** Rocket.Chat stores login tokens as base64(sha256(token)) and never in clear. */
export function hashLoginToken(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}

/** 43 URL-safe characters, like Rocket.Chat's Random.secret(). */
export function newLoginToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A password made for someone to be told once (120 random bits, URL-safe), as the first admin's. */
export function newGeneratedPassword(): string {
  return newLoginToken().slice(0, 20);
}

const ID_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz';

/** 17 characters from Meteor's alphabet, so ids look like Rocket.Chat's own. */
export function newUserId(): string {
  let id = '';
  for (let i = 0; i < 17; i += 1) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

/** A new connection's or instance's id: random, never derived from a token. */
export function newRandomId(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * The key failed logins are counted under, the same on every instance: what loginAttemptSubject counts, hashed
 * (fixed size, and no address or name is kept in clear).
 */
export function loginAttemptKey(kind: 'address' | 'login', value: string): string {
  return `${kind}:${createHash('sha256').update(loginAttemptSubject(kind, value)).digest('base64url').slice(0, 32)}`;
}
