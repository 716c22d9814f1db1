import type { Status } from './status';

export interface LoginToken {
  when: Date;
  hashedToken: string;
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
  lastLogin?: Date;
  avatarETag?: string;
  createdAt: Date;
  services: {
    password?: { bcrypt: string };
    resume?: { loginTokens: LoginToken[] };
  };
}

/** The presence fields written together by one presence change. */
export interface PresenceUpdate {
  status: Status;
  statusText: string;
  presenceText: string | null;
  presenceExpiresAt: Date | null;
  lastSeenAt: Date;
}
