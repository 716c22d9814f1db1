import type { PresenceReading } from '../../domain/presenceService';
import type { UserRecord } from '../../domain/userRecord';
import type { Status } from '../../domain/status';

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
  const view: RocketChatPresenceUser = { _id: user._id, name: user.name, username: user.username, status, utcOffset: user.utcOffset };
  if (user.statusText !== '') view.statusText = user.statusText;
  if (user.avatarETag !== undefined) view.avatarETag = user.avatarETag;
  return view;
}

/** A user as `me`, login and users.create show it: the user's own fields, never tokens or password hashes. */
export function rocketChatOwnUser(user: UserRecord, status: Status): Record<string, unknown> {
  return {
    _id: user._id,
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
    createdAt: user.createdAt,
  };
}
