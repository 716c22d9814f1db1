import { EventEmitter } from 'node:events';
import type { Store } from '../../../src/domain/ports/store';

export type StoreOperation = Exclude<keyof Store, 'lateWriteWindowMs' | 'externalWriters' | 'close'>;

/** Every store call a FaultyStore can delay, hang or fail: the port's methods but close. */
const OPERATIONS: readonly StoreOperation[] = [
  'findUserById', 'findUserByUsername', 'findUserByLogin', 'findUserByHashedToken', 'findUsersByIds', 'findTokenHolders', 'countTokensOfActiveUsers',
  'findPresentCandidates', 'findUsersChangedSince', 'findUsersUpdatedSince', 'findUnrecordedRocketChatPresences', 'createUser',
  'addLoginToken', 'removeLoginToken', 'writePresence', 'renewPresence', 'recordRocketChatChanges', 'saveStreamTicket', 'takeStreamTicket',
  'countLoginAttempt', 'forgetLoginAttempt', 'ping', 'putConnection', 'setLease', 'connectionsOfUser', 'connectionsOfUsers', 'connectionsOfToken', 'removeConnections',
  'renewConnections', 'expiredConnections', 'renewInstance', 'deadInstances', 'removeInstance', 'findTimedStatusesEndedBy',
  'removeLoginTokens', 'listUsers', 'countActiveAdmins', 'updateAccount', 'removeUser', 'findUsersRemovedSince',
];

// The port's methods are added in the constructor, one per operation, each through `run`.
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface FaultyStore extends Store {}

/** Errors the MongoDB driver and Mongoose throw while the database is unreachable. */
export const CONNECTIVITY_ERRORS: { name: string; make(): Error }[] = [
  { name: 'MongoNetworkError', make: () => Object.assign(new Error('connection 3 to 127.0.0.1:27017 closed'), { name: 'MongoNetworkError' }) },
  { name: 'MongoServerSelectionError', make: () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:27017'), { name: 'MongoServerSelectionError' }) },
  { name: 'MongoNotConnectedError', make: () => Object.assign(new Error('Client must be connected before running operations'), { name: 'MongoNotConnectedError' }) },
  { name: 'Mongoose buffering timeout', make: () => Object.assign(new Error('Operation `users.findOne()` buffering timed out after 10000ms'), { name: 'MongooseError' }) },
];

/**
 * A store whose calls fail on purpose, standing in for a MongoDB that is stopped and started again (none can run
 * here). `hang()` makes every call wait until `heal()` (then it runs, as a late answer from a database that came
 * back would); `reject()` makes every call fail at once; `hold()` keeps the calls of one operation waiting until
 * `heal()`, so a test can act while a request is in flight and then let it finish. Emits `call` with the operation
 * name when a call starts, records the order of calls and of `close`, and `idle()` tells when no call is running.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class FaultyStore {
  readonly events = new EventEmitter();
  readonly calls: string[] = [];
  private mode: { kind: 'ok' } | { kind: 'hang' } | { kind: 'reject'; make: () => Error } = { kind: 'ok' };
  private readonly held = new Set<StoreOperation>();
  private parked: (() => void)[] = [];
  private running = 0;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(readonly inner: Store) {
    for (const operation of OPERATIONS) {
      // Looked up on each call, so a method replaced on the inner store later (a test's spy) is the one called.
      (this as unknown as Record<string, unknown>)[operation] = (...args: unknown[]) =>
        this.run(operation, () => (inner[operation] as (...params: unknown[]) => Promise<unknown>).apply(inner, args));
    }
  }

  get lateWriteWindowMs(): number {
    return this.inner.lateWriteWindowMs;
  }

  get externalWriters(): boolean {
    return this.inner.externalWriters;
  }

  hang(): void {
    this.mode = { kind: 'hang' };
  }

  reject(make: () => Error): void {
    this.mode = { kind: 'reject', make };
  }

  /** Back to normal; calls that were hanging or held go on now. */
  heal(): void {
    this.mode = { kind: 'ok' };
    this.held.clear();
    const parked = this.parked;
    this.parked = [];
    for (const resume of parked) resume();
  }

  /** Calls of `operation` from now on wait until `heal()`. */
  hold(operation: StoreOperation): void {
    this.held.add(operation);
  }

  /** Resolves when the next call of `operation` (of any operation, when none is named) starts. */
  nextCall(operation?: StoreOperation): Promise<void> {
    return new Promise((resolve) => {
      const listener = (name: string) => {
        if (operation !== undefined && name !== operation) return;
        this.events.off('call', listener);
        resolve();
      };
      this.events.on('call', listener);
    });
  }

  /** Resolves once `count` calls at least are waiting (hanging, or held) at the same time. */
  parkedCalls(count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.parked.length < count) return;
        this.events.off('call', check);
        resolve();
      };
      this.events.on('call', check);
      check();
    });
  }

  /** Resolves once no call is running (every hanging or held call let through by `heal()` has finished). */
  idle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run<T>(operation: StoreOperation, call: () => Promise<T>): Promise<T> {
    this.running += 1;
    try {
      this.calls.push(operation);
      const mode = this.mode;
      const held = mode.kind === 'hang' || this.held.has(operation);
      const parked = held ? new Promise<void>((resolve) => this.parked.push(resolve)) : undefined;
      this.events.emit('call', operation);
      if (parked !== undefined) await parked;
      if (mode.kind === 'reject') throw mode.make();
      return await call();
    } finally {
      this.running -= 1;
      if (this.running === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  async close(): Promise<void> {
    this.calls.push('close');
    this.events.emit('call', 'close');
    await this.inner.close();
  }
}
