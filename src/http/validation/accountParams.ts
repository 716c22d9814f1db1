import { InvalidParamError } from '../../domain/errors';
import type { AccountChanges } from '../../domain/services/userAdministration';
import { ACCOUNT_FIELD_MAX, PASSWORD_MAX, UPDATE_ROLES_MAX, USERNAME_MAX } from './limits';

/** Rocket.Chat's users.update `data` fields this service keeps, and those it accepts but has nothing to do with. */
const APPLIED = ['email', 'name', 'password', 'username', 'active', 'roles', 'verified'];
/** Rooms, welcome mails: nothing here; accepted (Rocket.Chat's validator takes them) and ignored. */
const IGNORED = ['joinDefaultChannels', 'sendWelcomeEmail'];
/** Accepted by Rocket.Chat, and meaningful, but not kept by this service: refused rather than silently dropped. */
const UNSUPPORTED = ['bio', 'nickname', 'statusText', 'status', 'customFields', 'requirePasswordChange', 'setRandomPassword', 'settings', 'language'];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(data: Record<string, unknown>, name: string, max: number): string | undefined {
  const value = data[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidParamError(`data.${name}`, 'must be a string');
  if (value.length > max) throw new InvalidParamError(`data.${name}`, `must be at most ${max} characters long`);
  if (/\p{Cs}/u.test(value)) throw new InvalidParamError(`data.${name}`, 'must be valid Unicode text');
  return value;
}

function booleanField(data: Record<string, unknown>, name: string, param = `data.${name}`): boolean | undefined {
  const value = data[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new InvalidParamError(param, 'must be a boolean');
  return value;
}

/** An email address as express-validator's isEmail would take it, checked cheaply: one @, a dot in the domain. */
const EMAIL_FORMAT = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * users.update's body, checked as Rocket.Chat's validator (isUsersUpdateParamsPOST) does: `userId` and `data`
 * required, no other keys; in `data`, Rocket.Chat's fields only, each of its type or null (null: not changed).
 */
export function accountUpdateOf(body: unknown): { userId: string; changes: AccountChanges } {
  const fields = isPlainObject(body) ? body : {};
  for (const key of Object.keys(fields)) if (!['userId', 'data', 'confirmRelinquish'].includes(key)) throw new InvalidParamError(key, 'is not allowed');
  const { userId, data } = fields;
  if (typeof userId !== 'string') throw new InvalidParamError('userId', userId === undefined ? 'is required' : 'must be a string');
  if (userId.length > ACCOUNT_FIELD_MAX) throw new InvalidParamError('userId', `must be at most ${ACCOUNT_FIELD_MAX} characters long`);
  booleanField(fields, 'confirmRelinquish', 'confirmRelinquish');
  if (!isPlainObject(data)) throw new InvalidParamError('data', data === undefined ? 'is required' : 'must be an object');
  for (const key of Object.keys(data)) {
    if (UNSUPPORTED.includes(key) && data[key] !== null) throw new InvalidParamError(`data.${key}`, 'is not supported by this service');
    if (!APPLIED.includes(key) && !IGNORED.includes(key) && !UNSUPPORTED.includes(key)) throw new InvalidParamError(`data.${key}`, 'is not allowed');
  }
  for (const key of IGNORED) booleanField(data, key);
  const changes: AccountChanges = {};
  const name = stringField(data, 'name', ACCOUNT_FIELD_MAX);
  if (name !== undefined) changes.name = name;
  const username = stringField(data, 'username', USERNAME_MAX);
  if (username !== undefined) changes.username = username;
  const email = stringField(data, 'email', ACCOUNT_FIELD_MAX);
  if (email !== undefined) {
    if (!EMAIL_FORMAT.test(email)) throw new InvalidParamError('data.email', 'must be an email address');
    changes.email = email;
  }
  const verified = booleanField(data, 'verified');
  if (verified !== undefined) {
    if (email === undefined) throw new InvalidParamError('data.verified', 'needs data.email');
    changes.emailVerified = verified;
  }
  const password = stringField(data, 'password', PASSWORD_MAX);
  if (password !== undefined) {
    if (password.trim() === '') throw new InvalidParamError('data.password', 'must not be empty');
    changes.password = password;
  }
  const active = booleanField(data, 'active');
  if (active !== undefined) changes.active = active;
  const roles = data.roles;
  if (roles !== undefined && roles !== null) {
    if (!Array.isArray(roles) || roles.some((role) => typeof role !== 'string')) throw new InvalidParamError('data.roles', 'must be an array of strings');
    if (roles.length > UPDATE_ROLES_MAX) throw new InvalidParamError('data.roles', `must hold at most ${UPDATE_ROLES_MAX} roles`);
    changes.roles = roles as string[];
  }
  return { userId, changes };
}

/** users.setActiveStatus's body, as Rocket.Chat's validator (isUserSetActiveStatusParamsPOST): no other keys. */
export function activeStatusOf(body: unknown): { userId: string; activeStatus: boolean } {
  const fields = isPlainObject(body) ? body : {};
  for (const key of Object.keys(fields)) if (!['userId', 'activeStatus', 'confirmRelinquish'].includes(key)) throw new InvalidParamError(key, 'is not allowed');
  const { userId } = fields;
  if (typeof userId !== 'string') throw new InvalidParamError('userId', userId === undefined ? 'is required' : 'must be a string');
  if (userId.length > ACCOUNT_FIELD_MAX) throw new InvalidParamError('userId', `must be at most ${ACCOUNT_FIELD_MAX} characters long`);
  const activeStatus = booleanField(fields, 'activeStatus', 'activeStatus');
  if (activeStatus === undefined) throw new InvalidParamError('activeStatus', 'is required');
  booleanField(fields, 'confirmRelinquish', 'confirmRelinquish');
  return { userId, activeStatus };
}
