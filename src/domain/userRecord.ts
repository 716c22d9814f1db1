import type { Status } from './status';

export interface LoginToken {
  when: Date;
  hashedToken: string;
  /** Rocket.Chat marks its personal access tokens (bots, integrations) `personalAccessToken`; they carry no `when`. */
  type?: string;
}

/**
 * A user as stored, in Rocket.Chat's document shape so a document copied from a Rocket.Chat database works here.
 * `status` is the status the user chose; whether it is current depends on `presenceExpiresAt` (see effectiveStatus).
 */
export interface UserRecord {
  _id: string;
  username: string;
  name: string;
  emails?: { address: string; verified: boolean }[];
  utcOffset: number;
  active: boolean;
  roles: string[];
  status: Status;
  statusText: string;
  /** The exact string last set through pnut; null when the presence was last set through Rocket.Chat. */
  presenceText: string | null;
  presenceExpiresAt: Date | null;
  /** When the user last set a presence, through either API; null if never. */
  lastSeenAt: Date | null;
  /** When clients last saw this presence change (see changeStampAfterWrite); null if never. */
  presenceChangedAt: Date | null;
  /** Counts this user's presence writes, so a write based on a stale read is refused instead of undoing another. */
  presenceRevision: number;
  lastLogin?: Date;
  avatarETag?: string;
  createdAt: Date;
  /** Rocket.Chat's own "last modified", bumped by every write as Rocket.Chat does. */
  _updatedAt?: Date;
  services: {
    password?: { bcrypt: string };
    resume?: { loginTokens: LoginToken[] };
  };
}

/** The presence fields a presence change sets together. */
export interface PresenceUpdate {
  status: Status;
  statusText: string;
  presenceText: string | null;
  presenceExpiresAt: Date | null;
  lastSeenAt: Date;
}

/** What one presence write stores: the update, the change stamp the domain decided, and the time of the write. */
export interface PresenceWrite extends PresenceUpdate {
  presenceChangedAt: Date | null;
  updatedAt: Date;
}
