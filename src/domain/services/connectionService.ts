import type { Clock } from '../ports/clock';
import type { Scheduled, Timers } from '../ports/timers';
import type { ConnectionRecord, ConnectionState } from '../ports/connections';
import type { ConnectionStore } from '../ports/connections';
import type { PresenceStore } from '../ports/presenceStore';
import type { Identity } from '../rules/accounts';
import type { UserRecord } from '../ports/records';
import { connectionCounts, heartbeatIntervalMs, isLive, presenceOfConnections, streamRenewalDueBefore, type LeaseTimes } from '../rules/connections';
import { recordedValueOf } from '../rules/rocketChatPresence';
import type { ConnectionStatus } from '../rules/presenceStatus';
import type { PresenceService } from './presenceService';
import { newRandomId } from './credentials';
import type { ConnectionKind } from '../ports/connections';

export interface ConnectionOptions extends LeaseTimes {
  /** This process's name in the instances' liveness records and its streams' connections. */
  instanceId: string;
}

/** What a heartbeat answers: the device's connection, and when to send the next one. */
export interface HeartbeatResult {
  state: ConnectionState;
  expiresAt: Date;
  heartbeatMs: number;
}

/** A user's own view of his connections (users.getStatus for oneself). */
export interface OwnConnections {
  connectionStatus: ConnectionStatus;
  counts: Record<ConnectionKind, number>;
}

/** Lapsed connections ended per round at most, so a round after a long pause never holds the event loop. */
const REAP_BATCH = 500;

/**
 * This instance's share of connection bookkeeping (issue 20). Streams are connections while they are open; clients
 * without a stream heartbeat; every `renewMs` a round renews, in bulk writes (never one per connection), this
 * instance's liveness record, the streams it holds whose clients do not heartbeat, and the heartbeats it was sent
 * since the last round, then ends the connections whose lease ran out and those of dead instances, and computes
 * their users' presence again. Every instance reads and writes the same connections in the
 * store: none keeps who is connected to itself. The rounds also end the timed statuses that ran out.
 */
export class ConnectionService {
  /** Heartbeats received since the last round that changed nothing but the lease: written in bulk by the round. */
  private pendingRenewals = new Set<string>();
  private heldStreams = 0;
  private timer: Scheduled | undefined;
  private round: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: ConnectionStore & Pick<PresenceStore, 'findTimedStatusesEndedBy'>,
    private readonly presence: PresenceService,
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly options: ConnectionOptions,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  get heartbeatMs(): number {
    return heartbeatIntervalMs(this.options);
  }

  /** A stream opened: it is its device's connection, held by this instance, until it closes. */
  async streamOpened(identity: Identity): Promise<string> {
    const now = this.clock.now();
    const connection: ConnectionRecord = {
      id: newRandomId(),
      userId: identity.userId,
      hashedToken: identity.hashedToken,
      kind: 'stream',
      state: 'online',
      instanceId: this.options.instanceId,
      clientRenewed: false,
      expiresAt: this.leaseEnd(now),
      createdAt: now,
    };
    await this.store.putConnection(connection);
    this.heldStreams += 1;
    await this.presence.recompute(identity.userId);
    return connection.id;
  }

  /**
   * The stream closed: its connection ends at once, and its user's presence is computed again. Never rejects: a
   * failure is reported (the connection then lapses within a lease, as if its instance had died).
   */
  async streamClosed(connectionId: string): Promise<void> {
    this.heldStreams -= 1;
    try {
      await this.endConnections(await this.store.removeConnections({ ids: [connectionId] }));
    } catch (error) {
      this.onError(error);
    }
  }

  /**
   * A heartbeat from the device behind `identity`: it renews the device's streams and heartbeat connection, or makes
   * a heartbeat connection when it has none live, in state `state`. A change of state, or a new connection, is
   * written at once; a plain renewal waits for the next round, which writes every renewal it was sent together.
   */
  async heartbeat(identity: Identity, state: ConnectionState): Promise<HeartbeatResult> {
    const now = this.clock.now();
    const expiresAt = this.leaseEnd(now);
    const own = (await this.store.connectionsOfToken(identity.hashedToken)).filter((connection) => isLive(connection, now) && connection.kind !== 'declaration');
    if (own.length === 0) {
      await this.store.putConnection({
        id: newRandomId(),
        userId: identity.userId,
        hashedToken: identity.hashedToken,
        kind: 'heartbeat',
        state,
        instanceId: null,
        clientRenewed: true,
        expiresAt,
        createdAt: now,
      });
      await this.presence.recompute(identity.userId);
    } else {
      const changed = own.filter((connection) => connection.state !== state || !connection.clientRenewed);
      for (const connection of changed) await this.store.putConnection({ ...connection, state, clientRenewed: true, expiresAt });
      for (const connection of own) if (!changed.includes(connection)) this.pendingRenewals.add(connection.id);
      if (changed.some((connection) => connection.state !== state)) await this.presence.recompute(identity.userId);
    }
    return { state, expiresAt, heartbeatMs: this.heartbeatMs };
  }

  /** Logging a token out ends every connection made with it, at once. */
  async loggedOut(hashedToken: string): Promise<void> {
    await this.endConnections(await this.store.removeConnections({ hashedToken }));
  }

  /** The user was deactivated: every connection of his ends at once, on every instance. */
  async userEnded(userId: string): Promise<void> {
    const ended = await this.store.connectionsOfUser(userId);
    if (ended.length > 0) await this.endConnections(await this.store.removeConnections({ ids: ended.map((connection) => connection.id) }));
  }

  /** The user's connections as he is told of them: both systems' connection status, and his own by kind. */
  async ownConnections(user: Pick<UserRecord, 'id' | 'statusConnection'>): Promise<OwnConnections> {
    const now = this.clock.now();
    const connections = await this.store.connectionsOfUser(user.id);
    const { withRocketChat } = presenceOfConnections(connections, 'online', now, recordedValueOf(user.statusConnection));
    return { connectionStatus: withRocketChat, counts: connectionCounts(connections, now) };
  }

  /**
   * One round of bookkeeping (every `renewMs`, and from tests on their fake clock): renew, then end what lapsed.
   * Rounds never overlap: a round asked for while one runs waits for it.
   */
  runRound(): Promise<void> {
    const next = (this.round ?? Promise.resolve()).then(() => (this.stopped ? undefined : this.renewAndReap()));
    // The chain never rejects: each round's failure goes to its caller alone.
    const settled: Promise<void> = next.catch(() => undefined).finally(() => {
      if (this.round === settled) this.round = undefined;
    });
    this.round = settled;
    return next;
  }

  /** Stops the rounds (shutdown). This instance's streams are left to lapse: their clients reconnect elsewhere meanwhile, so nobody flickers offline. */
  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Starts the rounds (idempotent). Every instance runs them, holding streams or not: each ends what lapsed. */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = this.timers.every(() => this.runRound().catch(this.onError), this.options.renewMs);
  }

  private async renewAndReap(): Promise<void> {
    const now = this.clock.now();
    const expiresAt = this.leaseEnd(now);
    // Always, even holding no stream: other instances learn from it that this one is alive.
    await this.store.renewInstance(this.options.instanceId, expiresAt);
    if (this.heldStreams > 0) await this.store.renewConnections({ instanceId: this.options.instanceId, dueBefore: streamRenewalDueBefore(now, this.options) }, expiresAt, now);
    if (this.pendingRenewals.size > 0) {
      const ids = [...this.pendingRenewals];
      this.pendingRenewals = new Set();
      await this.store.renewConnections({ ids }, expiresAt, now);
    }
    for (const instanceId of await this.store.deadInstances(now)) {
      if (instanceId === this.options.instanceId) continue;
      await this.endConnections(await this.store.removeConnections({ instanceId }));
      await this.store.removeInstance(instanceId);
    }
    const lapsed = await this.store.expiredConnections(now, REAP_BATCH);
    if (lapsed.length > 0) await this.endConnections(await this.store.removeConnections({ ids: lapsed.map((connection) => connection.id) }));
    for (const userId of await this.store.findTimedStatusesEndedBy(now, REAP_BATCH)) await this.presence.endTimedStatus(userId);
  }

  /** Computes again the presence of the users whose connections ended. */
  private async endConnections(ended: readonly ConnectionRecord[]): Promise<void> {
    for (const userId of new Set(ended.map((connection) => connection.userId))) await this.presence.recompute(userId);
  }

  private leaseEnd(now: Date): Date {
    return new Date(now.getTime() + this.options.leaseMs);
  }
}
