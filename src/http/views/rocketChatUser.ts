import type { PresenceReading } from '../../domain/ports/records';
import type { UserRecord } from '../../domain/ports/records';
import type { Status } from '../../domain/ports/records';
import { DEFAULT_USER_PREFERENCES } from '../../domain/rules/preferences';

/** A user in users.presence: exactly these keys, statusText and avatarETag only when the user has one. */
export interface RocketChatPresenceUser {
  _id: string;
  name: string;
  username: string;
  status: Status;
  utcOffset: number;
  statusText?: string;
  avatarETag?: string;
}

export function rocketChatPresenceUser({ user, status }: PresenceReading): RocketChatPresenceUser {
  const view: RocketChatPresenceUser = { _id: user.id, name: user.name, username: user.username, status, utcOffset: user.utcOffset };
  if (user.statusText !== '') view.statusText = user.statusText;
  if (user.avatarETag !== undefined) view.avatarETag = user.avatarETag;
  return view;
}

/** Each stored record's view as JSON, for its status: records are replaced on every write, never changed. */
const renderedUsers = new WeakMap<UserRecord, { status: Status; json: string }>();

/**
 * rocketChatPresenceUser as JSON, made once per stored record and status: a poll of 50 ids, a delta and every
 * stream event list the same few records again and again, and the embedded store hands out the same objects.
 */
export function rocketChatPresenceUserJson(reading: PresenceReading): string {
  const rendered = renderedUsers.get(reading.user);
  if (rendered !== undefined && rendered.status === reading.status) return rendered.json;
  const json = JSON.stringify(rocketChatPresenceUser(reading));
  renderedUsers.set(reading.user, { status: reading.status, json });
  return json;
}

/** A user as `me`, login and users.create show it: the user's own fields, never tokens or password hashes. */
export function rocketChatOwnUser(user: UserRecord, status: Status): Record<string, unknown> {
  return {
    _id: user.id,
    username: user.username,
    name: user.name,
    ...(user.emails === undefined ? {} : { emails: user.emails }),
    status,
    ...(user.statusText === '' ? {} : { statusText: user.statusText }),
    utcOffset: user.utcOffset,
    active: user.active,
    roles: user.roles,
    ...(user.lastLogin === undefined ? {} : { lastLogin: user.lastLogin }),
    ...(user.avatarETag === undefined ? {} : { avatarETag: user.avatarETag }),
    ...(user.requirePasswordChange === true ? { requirePasswordChange: true } : {}),
    ...(user.customFields === undefined ? {} : { customFields: user.customFields }),
    createdAt: user.createdAt,
  };
}

/**
 * The user as /me and login's `me` show him, as Rocket.Chat's getUserInfo: his own fields, his preferences
 * (Rocket.Chat's defaults: none are stored here) and which login services he has, with no secret of any.
 */
export function rocketChatMe(user: UserRecord, status: Status, hasPassword: boolean): Record<string, unknown> {
  return {
    ...rocketChatOwnUser(user, status),
    settings: { profile: {}, preferences: DEFAULT_USER_PREFERENCES },
    services: { password: { exists: hasPassword } },
  };
}
