import type { Status, UserRecord } from '../../domain/ports/records';

/**
 * A user in users.list: what Rocket.Chat lists of every user; with `full` (an admin, Rocket.Chat's
 * view-full-other-user-info) also the emails and the last login. Never credentials.
 */
export function rocketChatListedUser(user: UserRecord, status: Status, full: boolean): Record<string, unknown> {
  return {
    _id: user.id,
    username: user.username,
    name: user.name,
    status,
    active: user.active,
    roles: user.roles,
    ...(user.avatarETag === undefined ? {} : { avatarETag: user.avatarETag }),
    ...(full && user.emails !== undefined ? { emails: user.emails } : {}),
    ...(full && user.lastLogin !== undefined ? { lastLogin: user.lastLogin } : {}),
  };
}

/** users.info of another user, for a caller who is not an admin: Rocket.Chat's public fields of a user. */
export function rocketChatPublicUser(user: UserRecord, status: Status): Record<string, unknown> {
  return {
    _id: user.id,
    username: user.username,
    name: user.name,
    status,
    ...(user.statusText === '' ? {} : { statusText: user.statusText }),
    utcOffset: user.utcOffset,
    active: user.active,
    ...(user.avatarETag === undefined ? {} : { avatarETag: user.avatarETag }),
  };
}
