import type { PresenceStore } from '../domain/presenceStore';
import { StoreUnavailableError } from './storeUnavailableError';

/** MongoDB server codes seen while a replica set has no primary (an election, a stepdown, a node shutting down). */
const NO_PRIMARY_CODES = new Set([91, 189, 10107, 11600, 11602, 13435, 13436]);

/** Errors that mean "the store cannot be reached right now", as opposed to a bad request or a bug. */
function isUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, hasErrorLabel } = error as { code?: unknown; hasErrorLabel?: (label: string) => boolean };
  if (typeof code === 'number' && NO_PRIMARY_CODES.has(code)) return true;
  if (hasErrorLabel?.call(error, 'RetryableWriteError') || hasErrorLabel?.call(error, 'ResetPool')) return true;
  return /^Mongo(Network|ServerSelection|NotConnected|Topology|PoolCleared|WriteConcern|OperationTimeout)|^MongooseServerSelection/.test(error.name)
    || /client must be connected|Connection .* closed|buffering timed out/i.test(error.message);
}

/**
 * Wraps a store so that every call settles within `timeoutMs`: a call the store does not answer in time, or one
 * that fails for lack of a connection or of a primary, rejects with StoreUnavailableError, which clients see as 503. Nothing
 * hangs while the database has a bad minute, and the driver reconnects by itself afterwards.
 */
export function withTimeout(store: PresenceStore, timeoutMs: number): PresenceStore {
  const guard = <T>(operation: string, call: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new StoreUnavailableError(`${operation} timed out after ${timeoutMs} ms`)), timeoutMs);
      call().then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(isUnavailableError(error) ? new StoreUnavailableError(`${operation}: ${(error as Error).message}`) : error);
        },
      );
    });

  return {
    lateWriteWindowMs: store.lateWriteWindowMs,
    findUserById: (id) => guard('findUserById', () => store.findUserById(id)),
    findUserByUsername: (username) => guard('findUserByUsername', () => store.findUserByUsername(username)),
    findUserByLogin: (login) => guard('findUserByLogin', () => store.findUserByLogin(login)),
    findUserByHashedToken: (hashed) => guard('findUserByHashedToken', () => store.findUserByHashedToken(hashed)),
    findUsersByIds: (ids) => guard('findUsersByIds', () => store.findUsersByIds(ids)),
    findUsersByHashedTokens: (hashed) => guard('findUsersByHashedTokens', () => store.findUsersByHashedTokens(hashed)),
    findUsersWithPresenceAfter: (now) => guard('findUsersWithPresenceAfter', () => store.findUsersWithPresenceAfter(now)),
    findUsersChangedSince: (since, now) => guard('findUsersChangedSince', () => store.findUsersChangedSince(since, now)),
    createUser: (user) => guard('createUser', () => store.createUser(user)),
    addLoginToken: (userId, token, lastLogin, expiredBefore) => guard('addLoginToken', () => store.addLoginToken(userId, token, lastLogin, expiredBefore)),
    removeLoginToken: (userId, hashed) => guard('removeLoginToken', () => store.removeLoginToken(userId, hashed)),
    writePresence: (userId, revision, write) => guard('writePresence', () => store.writePresence(userId, revision, write)),
    saveStreamTicket: (ticket, now) => guard('saveStreamTicket', () => store.saveStreamTicket(ticket, now)),
    takeStreamTicket: (hashed) => guard('takeStreamTicket', () => store.takeStreamTicket(hashed)),
    ping: () => guard('ping', () => store.ping()),
    close: () => store.close(),
  };
}
