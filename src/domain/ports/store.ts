import type { AccountStore } from './accountStore';
import type { ConnectionStore } from './connections';
import type { LoginAttemptStore } from './loginAttemptStore';
import type { PresenceStore } from './presenceStore';
import type { TicketStore } from './ticketStore';

/** Thrown by createUser and updateAccount when the username (in any letter case) or the email is taken. */
export class DuplicateUserError extends Error {
  constructor(readonly field: 'username' | 'email') {
    super(`${field} already in use`);
    this.name = 'DuplicateUserError';
  }
}

/** Thrown by any store call when the store cannot be reached right now; clients see 503 and try again. */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** The store as a whole: whether it can serve, and its end. */
export interface StoreLifecycle {
  /** Resolves when the store can serve requests; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Every port a storage adapter implements, one per concern (accounts, presence and its connections, tickets, login
 * attempts): what createApp is given. Adapters: MongoStore (production, any number of instances, beside Rocket.Chat
 * on its database if wanted) and the embedded SqliteStore; each port has a contract suite in tests/storage that
 * both pass. Each service depends only on the ports it uses.
 */
export type Store = AccountStore & PresenceStore & ConnectionStore & TicketStore & LoginAttemptStore & StoreLifecycle;
