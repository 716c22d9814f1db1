/** The four statuses Rocket.Chat knows; `offline` chosen by a user means "invisible". */
export const STATUSES = ['online', 'away', 'busy', 'offline'] as const;

export type Status = (typeof STATUSES)[number];

export interface LoginToken {
  when: Date;
  hashedToken: string;
  /** Rocket.Chat marks its personal access tokens (bots, integrations) `personalAccessToken`; they carry no `when`. */
  type?: string;
}

/**
 * Rocket.Chat's own presence fields, as its presence service (`status`, `statusConnection`) and `setUserStatus`
 * (`status`, `statusDefault`, `statusText`) write them into the user's document.
 */
export interface RocketChatPresence {
  status: string;
  statusText: string;
  statusDefault: string | null;
  statusConnection: string | null;
}

/**
 * A user's credentials, as the finders that need them return them (login: the password hash and the token list;
 * token look-ups: the matching tokens).
 */
export interface Credentials {
  /** The password's bcrypt hash; absent when the user has no password. */
  passwordHash?: string;
  loginTokens?: LoginToken[];
}

/**
 * A user: his account, his presence and (from the finders that need them) his credentials. The stores map it to
 * their own shape: the MongoDB adapter to Rocket.Chat's user document (so a Rocket.Chat database works here), the
 * embedded one to rows. `status` is the status last written, by this service or by Rocket.Chat; what every API
 * reports is decided by effectiveStatus (this service's presences expire, Rocket.Chat's last as long as Rocket.Chat
 * says).
 */
export interface UserRecord {
  id: string;
  username: string;
  name: string;
  emails?: { address: string; verified: boolean }[];
  utcOffset: number;
  active: boolean;
  roles: string[];
  /** As written, by this service or Rocket.Chat (which knows more statuses, such as `disabled`). */
  status: string;
  statusText: string;
  /** The status the user chose (users.setStatus, pnut's presence, or Rocket.Chat's setUserStatus); unset reads as online. */
  statusDefault?: string;
  /** When the chosen status ends by itself and goes back to online (a timed status); absent when it does not. */
  statusExpiresAt?: Date;
  /** Rocket.Chat's connection status, when Rocket.Chat has written it; never written here. */
  statusConnection?: string;
  /** The exact string last set through pnut; null when the presence was last set otherwise. */
  presenceText: string | null;
  /**
   * When this service's presence ends unless a connection is renewed: the last lease of the user's live connections.
   * null when the presence is not this service's: no live connection, or last written by Rocket.Chat, which decides
   * how long it lasts.
   */
  presenceExpiresAt: Date | null;
  /**
   * Rocket.Chat's presence fields as this service last wrote or recorded them: when the document's differ,
   * Rocket.Chat has written the presence since (see rocketChatPresence.ts). Absent on a user this service never
   * wrote.
   */
  presenceSeen?: RocketChatPresence;
  /** When the user last set a presence, through either API; null if never. */
  lastSeenAt: Date | null;
  /** When clients last saw this presence change (see changeStampAfterWrite); null if never. */
  presenceChangedAt: Date | null;
  /** Counts this service's writes of the presence, so a write based on a stale read is refused instead of undoing another. */
  presenceRevision: number;
  lastLogin?: Date;
  avatarETag?: string;
  /** Rocket.Chat's: the user is to choose a new password (users.create's `requirePasswordChange`); absent when not. */
  requirePasswordChange?: boolean;
  /** Rocket.Chat's custom fields, as users.create was given them; absent when none. */
  customFields?: Record<string, unknown>;
  createdAt: Date;
  /** When the user was last written, by any write (Rocket.Chat's "last modified", which Rocket.Chat bumps too). */
  updatedAt?: Date;
  /**
   * Only the finders that need them return them (login: the password hash and token list; token look-ups: the
   * matching tokens). Every other read leaves them in the store.
   */
  credentials?: Credentials;
}

/**
 * Who holds some login tokens, and no more than deciding whether they still authenticate takes
 * (tokenAuthenticatesUntil): the user's id, whether the account is active, and the matching tokens.
 */
export type TokenHolder = Pick<UserRecord, 'id' | 'active'> & { credentials: { loginTokens: LoginToken[] } };

/** The presence fields a presence change sets together. */
export interface PresenceUpdate {
  /** The status the user chose (Rocket.Chat's statusDefault); undefined leaves it as it is. */
  statusDefault?: Status;
  /** When the chosen status ends by itself (null: it does not); undefined leaves it as it is. */
  statusExpiresAt?: Date | null;
  /** What others see: computed from the connections and the chosen status (presenceStatus.ts). */
  status: Status;
  statusText: string;
  presenceText: string | null;
  presenceExpiresAt: Date | null;
  lastSeenAt: Date | null;
}

/** What one presence write stores: the update, the change stamp the domain decided, and the time of the write. */
export interface PresenceWrite extends PresenceUpdate {
  presenceChangedAt: Date | null;
  presenceSeen: RocketChatPresence;
  updatedAt: Date;
}

/**
 * A presence write that moves nothing but when the presence ends and `last_seen_at` (presenceRenewalOf): the rest of
 * the record stays as it is.
 */
export interface PresenceRenewal {
  presenceExpiresAt: Date | null;
  lastSeenAt: Date | null;
  updatedAt: Date;
}

/**
 * What a write is decided from, and may only land on: this service's revision of the presence, and Rocket.Chat's
 * presence fields (Rocket.Chat does not count revisions; a write of its in between changes these instead).
 */
export interface PresenceVersion {
  presenceRevision: number;
  rocketChat: RocketChatPresence;
}

/** Recording a presence change Rocket.Chat wrote: the change stamp, and that the presence is now Rocket.Chat's. */
export interface RocketChatChangeRecord {
  presenceChangedAt: Date | null;
  presenceSeen: RocketChatPresence;
}

/** One user's record of a Rocket.Chat write, to land only on the version it was decided from. */
export interface RocketChatChange {
  userId: string;
  expected: PresenceVersion;
  record: RocketChatChangeRecord;
}

/**
 * A short-lived, single-use pass to open a presence stream: a browser's EventSource cannot send headers, and a
 * login token in a URL would end up in proxy logs and browser history. The ticket is stored only as a hash,
 * names the login token it was issued under (logging that token out closes the stream), and is gone once used.
 */
export interface StreamTicket {
  hashedTicket: string;
  userId: string;
  hashedToken: string;
  expiresAt: Date;
}

/** A user's presence as read at a moment: the record, and the status every API reports for it then. */
export interface PresenceReading {
  user: UserRecord;
  status: Status;
}

/**
 * What an account write sets (users.update, users.setActiveStatus, a password reset): each field present is set,
 * each absent one kept. It is written at the presence version read, with the change stamp the domain decided (a
 * deactivation is a change to offline clients must see), and moves the revision on like a presence write.
 */
export interface AccountUpdate {
  name?: string;
  username?: string;
  emails?: { address: string; verified: boolean }[];
  roles?: string[];
  active?: boolean;
  /** The new password's hash (bcrypt). */
  passwordHash?: string;
  presenceChangedAt: Date | null;
  updatedAt: Date;
}

/**
 * A removed user, remembered (without credentials) while a delta or a resumed stream may still ask for changes from
 * before the removal: what clients were last told of them, and when they went (the change stamp of their going).
 */
export interface RemovedUser {
  userId: string;
  username: string;
  name: string;
  utcOffset: number;
  removedAt: Date;
  /** When no reader can ask from before `removedAt` any more, and the record may go. */
  forgetAt: Date;
}
