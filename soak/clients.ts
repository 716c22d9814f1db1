/**
 * The soak's users (seeded straight into the store, each with a login token) and its clients: each client acts as
 * one user, changing its presence through both APIs and polling users.presence with several consumers (tabs).
 */
import { systemClock } from '../src/domain/ports/clock';
import { hashLoginToken, newLoginToken, newUserId } from '../src/domain/services/credentials';
import type { createStore } from '../src/storage/createStore';
import type { UserRecord } from '../src/domain/ports/records';
import type { Stats, makeCaller } from './caller';
import { HEARTBEATS, MESSAGES, pick, STATUSES, type Presence, type Status } from './presences';
import { CLIENTS, CONSUMERS, THINK_MS, USERS } from './settings';

// ---------------------------------------------------------------------------------------------------------------
// Users

export interface SoakUser {
  id: string;
  username: string;
  token: string;
  /** What the user is when seeded; passive users keep it to the end. */
  initial: Presence;
}

/** Every fourth client heartbeats as a device (users.presence.heartbeat) besides its status calls. */
export const HEARTBEATING_EVERY = 4;
/** A heartbeating client heartbeats at least this often, well inside the connection lease (30 s by default). */
const DEVICE_HEARTBEAT_MS = 8000;

/**
 * USERS users, then `extra` more (the stream subscribers' own: their streams make them present, so they are nobody
 * else's), all offline but the passive ones.
 */
export async function seedUsers(store: Awaited<ReturnType<typeof createStore>>, runId: string, extra: number): Promise<SoakUser[]> {
  const now = systemClock.now();
  const users: SoakUser[] = [];
  for (let i = 0; i < USERS + extra; i += 1) {
    const token = newLoginToken();
    // Clients' users start offline; half the passive ones are away with a text, for the full lists to carry.
    const passivePresent = i >= CLIENTS && i < USERS && i % 2 === 0;
    const record: UserRecord = {
      id: newUserId(),
      username: `soak-${runId}-${i}`,
      name: `Soak ${i}`,
      utcOffset: 0,
      active: true,
      roles: ['user'],
      status: passivePresent ? 'away' : 'offline',
      statusText: passivePresent ? 'passive' : '',
      presenceText: null,
      presenceExpiresAt: passivePresent ? new Date(now.getTime() + 3_600_000) : null,
      lastSeenAt: passivePresent ? now : null,
      presenceChangedAt: passivePresent ? now : null,
      presenceRevision: 0,
      createdAt: now,
      credentials: { loginTokens: [{ when: now, hashedToken: hashLoginToken(token) }] },
    };
    await store.createUser(record);
    users.push({ id: record.id, username: record.username, token, initial: passivePresent ? { status: 'away', text: 'passive' } : { status: 'offline', text: '' } });
  }
  return users;
}

// ---------------------------------------------------------------------------------------------------------------
// Clients

export interface PresenceListBody {
  users: { _id: string; status: Status; statusText?: string }[];
  full: boolean;
  success: boolean;
}

/** One consumer of a login token (a tab): its view of everybody else, from users.presence answers only. */
export class Consumer {
  readonly view = new Map<string, Presence>();
  /** Its own clock's time after its previous answer; undefined before the first. */
  from: Date | undefined;
  fullAnswers = 0;
}

export class Client {
  /** The consumers of this client's login token, polling in turn. */
  readonly consumers = Array.from({ length: CONSUMERS }, () => new Consumer());
  /** The last change of its own user that the service accepted. */
  lastAccepted: Presence | undefined;
  accepted = 0;
  inconsistentReplies = 0;
  private polls = 0;
  private lastDeviceBeatAt = 0;

  constructor(
    readonly user: SoakUser,
    /** One caller per instance: each poll goes to the next. */
    private readonly calls: readonly ReturnType<typeof makeCaller>[],
    private readonly stats: Stats,
    /**
     * Whether this client is a device that heartbeats: then it is connected all along, and its user shows the status
     * it chose (a deleted pnut presence is `online`); otherwise its status calls are its declarations, and a deleted
     * presence is `offline`.
     */
    readonly heartbeats = false,
  ) {}

  /** Writes go to either instance. */
  private get call(): ReturnType<typeof makeCaller> {
    return pick(this.calls);
  }

  private get rcHeaders() {
    return { 'X-User-Id': this.user.id, 'X-Auth-Token': this.user.token };
  }

  /** Applies a users.presence answer the way Rocket.Chat's client does. */
  private apply(consumer: Consumer, body: PresenceListBody): void {
    if (body.full) {
      consumer.fullAnswers += 1;
      // Everybody not listed is offline.
      for (const id of consumer.view.keys()) consumer.view.set(id, { status: 'offline', text: '' });
    }
    for (const user of body.users) consumer.view.set(user._id, { status: user.status, text: user.statusText ?? '' });
  }

  /** One poll by `consumer` (by default the next in turn), on the other instance than the previous poll. */
  async poll(consumer = this.consumers[this.polls % this.consumers.length]): Promise<boolean> {
    const call = this.calls[this.polls % this.calls.length];
    this.polls += 1;
    const query = consumer.from === undefined ? '' : `?from=${encodeURIComponent(consumer.from.toISOString())}`;
    const answer = await call('poll', 'GET', `/api/v1/users.presence${query}`, this.rcHeaders);
    if (answer?.status !== 200) return false;
    this.apply(consumer, answer.body as PresenceListBody);
    consumer.from = new Date();
    return true;
  }

  async heartbeat(): Promise<void> {
    const beat = pick(HEARTBEATS);
    const answer = await this.call('heartbeat', 'GET', `/v0/users/me/presence?update_presence=${encodeURIComponent(beat.value)}`, { Authorization: `Bearer ${this.user.token}` });
    if (answer === undefined || answer.status < 200 || answer.status >= 300) return;
    const body = answer.body as { meta: { updated_presence?: boolean }; data: { presence: string } };
    if (body.meta.updated_presence !== true) {
      this.stats.problem(`heartbeat ${beat.value}: 2xx but updated_presence ${String(body.meta.updated_presence)}`);
      this.inconsistentReplies += 1;
      return;
    }
    // Deleting the presence ends the declarations and the chosen status: a connected device shows online.
    const deleted = beat.status === 'offline';
    this.lastAccepted = deleted && this.heartbeats ? { status: 'online', text: '' } : { status: beat.status, text: beat.text ?? '' };
    this.accepted += 1;
    // Read-your-write: the answer shows the presence just set.
    const expected = deleted ? (this.heartbeats ? 'online' : 'offline') : beat.text !== '' ? beat.text : beat.status;
    if (body.data.presence !== expected) {
      this.inconsistentReplies += 1;
      this.stats.problem(`heartbeat ${beat.value}: answer shows "${body.data.presence}", expected "${expected}"`);
    }
  }

  async setStatus(): Promise<void> {
    const status = pick(STATUSES);
    const message = pick(MESSAGES);
    const answer = await this.call('setStatus', 'POST', '/api/v1/users.setStatus', this.rcHeaders, message === undefined ? { status } : { status, message });
    if (answer === undefined || answer.status < 200 || answer.status >= 300) return;
    const previousText = (this.lastAccepted ?? this.user.initial).text;
    this.lastAccepted = { status, text: message === undefined ? previousText : message };
    this.accepted += 1;
  }

  /** users.presence.heartbeat: this device is alive and in use. */
  async deviceHeartbeat(): Promise<void> {
    const answer = await this.call('deviceHeartbeat', 'POST', '/api/v1/users.presence.heartbeat', this.rcHeaders, { status: 'online' });
    if (answer !== undefined && answer.status === 200) this.lastDeviceBeatAt = Date.now();
  }

  /** On connect: each consumer's full list, as Rocket.Chat's client asks first. */
  async connect(): Promise<void> {
    for (const consumer of this.consumers) {
      if (!(await this.poll(consumer))) this.stats.problem(`${this.user.username}: the first full list failed`);
    }
  }

  async run(until: number, budget: { left: number }): Promise<void> {
    while (Date.now() < until && budget.left > 0) {
      budget.left -= 1;
      if (this.heartbeats && Date.now() - this.lastDeviceBeatAt > DEVICE_HEARTBEAT_MS) {
        await this.deviceHeartbeat();
        continue;
      }
      const roll = Math.random();
      if (roll < 0.3) await this.heartbeat();
      else if (roll < 0.6) await this.setStatus();
      else await this.poll();
      if (THINK_MS > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * THINK_MS * 2));
    }
  }
}
