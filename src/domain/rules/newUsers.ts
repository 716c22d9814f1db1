import { foldedLogin } from './logins';
/**
 * Rocket.Chat's rules for a new user that this service keeps: the roles it knows, the usernames it reserves, and
 * what it takes for an e-mail address.
 */

/**
 * The roles a Rocket.Chat server has from its installation (users' and rooms' scopes); users.create and users.update
 * give a user only these. This service gives meaning to `admin` alone (every permission Rocket.Chat grants to
 * admins); the others are kept, for clients that read them.
 */
export const KNOWN_ROLES = [
  'admin', 'moderator', 'leader', 'owner', 'user', 'bot', 'app', 'guest', 'anonymous',
  'livechat-agent', 'livechat-manager', 'livechat-monitor', 'auditor', 'auditor-log',
] as const;

/** Rocket.Chat's usernames (its default UTF8_User_Names_Validation). */
export const USERNAME_FORMAT = /^[0-9a-zA-Z-_.]+$/;

/** The longest username this service takes (Rocket.Chat sets none; its clients show about this many). */
export const USERNAME_MAX_LENGTH = 64;

/** Whether `value` can be a new username: USERNAME_FORMAT, at most USERNAME_MAX_LENGTH characters. */
export function isUsername(value: string): boolean {
  return value.length <= USERNAME_MAX_LENGTH && USERNAME_FORMAT.test(value);
}

/** The roles a new user gets when none are asked for (Rocket.Chat's Accounts_Registration_Users_Default_Roles). */
export const DEFAULT_ROLES = ['user'];

/** The roles of `roles` that no Rocket.Chat server knows from its installation. */
export function unknownRoles(roles: readonly string[]): string[] {
  return roles.filter((role) => !(KNOWN_ROLES as readonly string[]).includes(role));
}

/** Rocket.Chat's Accounts_SystemBlockedUsernameList: usernames nobody may take, in any letter case. */
export const RESERVED_USERNAMES = ['admin', 'administrator', 'system', 'user'] as const;

export function isReservedUsername(username: string): boolean {
  return (RESERVED_USERNAMES as readonly string[]).includes(foldedLogin(username));
}

/**
 * Rocket.Chat's e-mail check (validateEmail, its "basic" style): something, one "@", something. Its own tests
 * create `name@rocket.chat-<digits>`, which stricter checks refuse.
 */
export function isEmailAddress(address: string): boolean {
  return /^[^@]+@[^@]+$/.test(address);
}
