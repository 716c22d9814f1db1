import type { UserRecord } from '../ports/records';

/**
 * Who a login names, in the forms Rocket.Chat's login takes: `{user: "name"}` (an e-mail address when it holds an
 * "@", as Rocket.Chat's REST login reads it), `{username}`, `{email}`, and Meteor's `{user: {username | email | id}}`.
 */
export type LoginName = { kind: 'username' | 'email' | 'id'; value: string };

/**
 * What proves the password: the password itself, or Meteor's hashed form, the SHA-256 hex digest of the password
 * (`{digest, algorithm: "sha-256"}`), which a client sends so the password never leaves it.
 */
export type PasswordProof = { password: string } | { digest: string };

/**
 * At most this many login-attempt counters are kept, in either store: past it, a new one replaces the one whose
 * window ends first, so a flood of distinct addresses or names cannot grow the store without bound.
 */
export const LOGIN_ATTEMPT_KEYS_KEPT = 100_000;

/**
 * A username or an e-mail address as logins and uniqueness compare it: in any letter case, accents kept (what
 * Rocket.Chat's `{locale: "en", strength: 2}` collation does for the letters people use; docs/storage.md says where
 * that collation folds more). The embedded store keeps it as the look-up key; MongoDB compares through that collation.
 */
export function foldedLogin(name: string): string {
  return name.toLowerCase();
}

/** The one name in a string `user` field: an e-mail address when it holds an "@", else a username (Rocket.Chat's loginCompatibility). */
export function loginNameOfUserString(user: string): LoginName {
  return user.includes('@') ? { kind: 'email', value: user } : { kind: 'username', value: user };
}

/** A SHA-256 digest as Meteor sends it: 64 characters (Meteor checks the length; the hex is compared as sent). */
export function isPasswordDigest(value: string): boolean {
  return /^[0-9a-f]{64}$/i.test(value);
}

/**
 * Whether `user` (found by a look-up that tries the username, then the e-mail address) is the one the login names:
 * a username names no one by their address, nor an address by a username. Usernames and addresses compare in
 * any letter case, as Rocket.Chat finds them.
 */
export function isNamedBy(user: Pick<UserRecord, 'id' | 'username' | 'emails'>, name: LoginName): boolean {
  const wanted = foldedLogin(name.value);
  if (name.kind === 'id') return user.id === name.value;
  if (name.kind === 'username') return foldedLogin(user.username) === wanted;
  return (user.emails ?? []).some((email) => foldedLogin(email.address) === wanted);
}
