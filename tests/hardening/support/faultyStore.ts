import { EventEmitter } from 'node:events';
import type { PresenceStore } from '../../../src/domain/presenceStore';

export type StoreOperation = Exclude<keyof PresenceStore, 'lateWriteWindowMs'>;
type Args<K extends StoreOperation> = Parameters<PresenceStore[K]>;

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
 * back would); `reject()` makes every call fail at once; `slow()` delays one operation. Emits `call` with the
 * operation name when a call starts, and records the order of calls and of `close`.
 */
export class FaultyStore implements PresenceStore {
  readonly events = new EventEmitter();
  readonly calls: string[] = [];
  private mode: { kind: 'ok' } | { kind: 'hang' } | { kind: 'reject'; make: () => Error } = { kind: 'ok' };
  private readonly delays = new Map<string, number>();
  private parked: (() => void)[] = [];

  constructor(readonly inner: PresenceStore) {}

  get lateWriteWindowMs(): number {
    return this.inner.lateWriteWindowMs;
  }

  hang(): void {
    this.mode = { kind: 'hang' };
  }

  reject(make: () => Error): void {
    this.mode = { kind: 'reject', make };
  }

  /** Back to normal; calls that were hanging go on now. */
  heal(): void {
    this.mode = { kind: 'ok' };
    this.delays.clear();
    const parked = this.parked;
    this.parked = [];
    for (const resume of parked) resume();
  }

  slow(operation: StoreOperation, ms: number): void {
    this.delays.set(operation, ms);
  }

  /** Resolves when the next call of `operation` starts. */
  nextCall(operation: StoreOperation): Promise<void> {
    return new Promise((resolve) => {
      const listener = (name: string) => {
        if (name !== operation) return;
        this.events.off('call', listener);
        resolve();
      };
      this.events.on('call', listener);
    });
  }

  private async run<T>(operation: StoreOperation, call: () => Promise<T>): Promise<T> {
    this.calls.push(operation);
    this.events.emit('call', operation);
    const delay = this.delays.get(operation);
    if (delay !== undefined) await new Promise((resolve) => setTimeout(resolve, delay));
    const mode = this.mode;
    if (mode.kind === 'hang') await new Promise<void>((resolve) => this.parked.push(resolve));
    if (mode.kind === 'reject') throw mode.make();
    return call();
  }

  findUserById(...args: Args<'findUserById'>): ReturnType<PresenceStore['findUserById']> {
    return this.run('findUserById', () => this.inner.findUserById(...args));
  }
  findUserByUsername(...args: Args<'findUserByUsername'>): ReturnType<PresenceStore['findUserByUsername']> {
    return this.run('findUserByUsername', () => this.inner.findUserByUsername(...args));
  }
  findUserByLogin(...args: Args<'findUserByLogin'>): ReturnType<PresenceStore['findUserByLogin']> {
    return this.run('findUserByLogin', () => this.inner.findUserByLogin(...args));
  }
  findUserByHashedToken(...args: Args<'findUserByHashedToken'>): ReturnType<PresenceStore['findUserByHashedToken']> {
    return this.run('findUserByHashedToken', () => this.inner.findUserByHashedToken(...args));
  }
  findUsersByIds(...args: Args<'findUsersByIds'>): ReturnType<PresenceStore['findUsersByIds']> {
    return this.run('findUsersByIds', () => this.inner.findUsersByIds(...args));
  }
  findUsersByHashedTokens(...args: Args<'findUsersByHashedTokens'>): ReturnType<PresenceStore['findUsersByHashedTokens']> {
    return this.run('findUsersByHashedTokens', () => this.inner.findUsersByHashedTokens(...args));
  }
  saveStreamTicket(...args: Args<'saveStreamTicket'>): ReturnType<PresenceStore['saveStreamTicket']> {
    return this.run('saveStreamTicket', () => this.inner.saveStreamTicket(...args));
  }
  takeStreamTicket(...args: Args<'takeStreamTicket'>): ReturnType<PresenceStore['takeStreamTicket']> {
    return this.run('takeStreamTicket', () => this.inner.takeStreamTicket(...args));
  }
  findUsersWithPresenceAfter(...args: Args<'findUsersWithPresenceAfter'>): ReturnType<PresenceStore['findUsersWithPresenceAfter']> {
    return this.run('findUsersWithPresenceAfter', () => this.inner.findUsersWithPresenceAfter(...args));
  }
  findUsersChangedSince(...args: Args<'findUsersChangedSince'>): ReturnType<PresenceStore['findUsersChangedSince']> {
    return this.run('findUsersChangedSince', () => this.inner.findUsersChangedSince(...args));
  }
  createUser(...args: Args<'createUser'>): ReturnType<PresenceStore['createUser']> {
    return this.run('createUser', () => this.inner.createUser(...args));
  }
  addLoginToken(...args: Args<'addLoginToken'>): ReturnType<PresenceStore['addLoginToken']> {
    return this.run('addLoginToken', () => this.inner.addLoginToken(...args));
  }
  removeLoginToken(...args: Args<'removeLoginToken'>): ReturnType<PresenceStore['removeLoginToken']> {
    return this.run('removeLoginToken', () => this.inner.removeLoginToken(...args));
  }
  writePresence(...args: Args<'writePresence'>): ReturnType<PresenceStore['writePresence']> {
    return this.run('writePresence', () => this.inner.writePresence(...args));
  }
  ping(...args: Args<'ping'>): ReturnType<PresenceStore['ping']> {
    return this.run('ping', () => this.inner.ping(...args));
  }
  async close(): Promise<void> {
    this.calls.push('close');
    this.events.emit('call', 'close');
    await this.inner.close();
  }
}
