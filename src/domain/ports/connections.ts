/** A connection's own state: `away` when its client says it is idle. */
export const CONNECTION_STATES = ['online', 'away'] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

/**
 * Where a user is present (issue 20):
 * - `stream`: an open presence stream, held by one instance;
 * - `heartbeat`: a client without a stream that proves it is alive (users.presence.heartbeat);
 * - `declaration`: a status set by a client holding neither (users.setStatus, pnut's presence): a lease of the
 *   presence time to live, or until pnut's `expiration`.
 */
export type ConnectionKind = 'stream' | 'heartbeat' | 'declaration';

export interface ConnectionRecord {
  id: string;
  userId: string;
  /** The login token it was made with: the device. Logging that token out ends it. */
  hashedToken: string;
  kind: ConnectionKind;
  state: ConnectionState;
  /** The instance holding a stream; null for the others. */
  instanceId: string | null;
  /**
   * Whether its client renews it (heartbeats); a stream whose client never heartbeated is renewed by its instance
   * while its socket is open.
   */
  clientRenewed: boolean;
  /** Its lease: it ends then unless renewed. */
  expiresAt: Date;
  createdAt: Date;
}

/** Which connections a bulk renewal renews. */
export type RenewalSelection =
  | { ids: readonly string[] }
  /** The streams this instance holds whose clients do not heartbeat, and whose lease ends before `dueBefore`. */
  | { instanceId: string; dueBefore: Date };

/** Which connections to remove. */
export type RemovalSelection = { ids: readonly string[] } | { hashedToken: string } | { instanceId: string } | { userId: string; kind: ConnectionKind };

/**
 * The connections and the instances' liveness records, in the database every instance shares: every instance reads
 * the same connections, so every instance computes the same status. Implemented by both stores
 * (tests/storage/connectionStore.contract.test.ts holds them to the same answers).
 */
export interface ConnectionStore {
  /** Adds a connection, or replaces the one with its id. */
  putConnection(connection: ConnectionRecord): Promise<void>;
  /**
   * Moves one connection's lease to `expiresAt`, the rest of it as it is (isLeaseRenewal): a running declaration
   * renewed. A connection removed meanwhile stays removed.
   */
  setLease(connectionId: string, expiresAt: Date): Promise<void>;
  /** A user's connections, live or not. */
  connectionsOfUser(userId: string): Promise<ConnectionRecord[]>;
  /** The connections of any of these users, live or not, in one query (none asked for: none). */
  connectionsOfUsers(userIds: readonly string[]): Promise<ConnectionRecord[]>;
  /** The connections made with this login token, live or not. */
  connectionsOfToken(hashedToken: string): Promise<ConnectionRecord[]>;
  /** Removes the selected connections; resolves with those removed. */
  removeConnections(selection: RemovalSelection): Promise<ConnectionRecord[]>;
  /**
   * A bulk renewal, never a write per connection: the selected connections still live at `now` get the lease
   * `expiresAt`, and their users' presence expiry, where it has not passed and is earlier, is pushed to it with the
   * presence revision moved on (a presence write decided from the old leases must not land). Resolves with how many
   * connections it renewed.
   */
  renewConnections(selection: RenewalSelection, expiresAt: Date, now: Date): Promise<number>;
  /** The connections whose lease ended at or before `now`, at most `limit`, earliest first. */
  expiredConnections(now: Date, limit: number): Promise<ConnectionRecord[]>;
  /** An instance's liveness record: it holds its streams until `expiresAt`. */
  renewInstance(instanceId: string, expiresAt: Date): Promise<void>;
  /** The instances whose liveness record ended at or before `now`: their streams are gone. */
  deadInstances(now: Date): Promise<string[]>;
  removeInstance(instanceId: string): Promise<void>;
}
