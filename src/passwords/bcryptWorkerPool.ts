import { Worker } from 'node:worker_threads';
import { PasswordChecksBusyError, type PasswordHasher } from '../domain/ports/passwordHasher';

export interface BcryptPoolOptions {
  /** Worker threads, each running one bcrypt at a time. */
  workers: number;
  /** Jobs that may wait for a worker; one more is refused with PasswordChecksBusyError. */
  maxWaiting: number;
}

type Job = { kind: 'hash'; secret: string; rounds: number } | { kind: 'compare'; secret: string; storedHash: string };

interface Pending {
  job: Job;
  resolve(value: string | boolean): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  running: Pending | undefined;
}

/**
 * The worker's whole program, run with `eval` so the same code serves ts-jest and the compiled build (a worker
 * cannot load TypeScript). bcryptjs by its resolved path: the worker's own resolution would start from the
 * working directory, which is not the service's.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const bcrypt = require(${JSON.stringify(require.resolve('bcryptjs'))});
parentPort.on('message', (job) => {
  try {
    const result = job.kind === 'hash' ? bcrypt.hashSync(job.secret, job.rounds) : bcrypt.compareSync(job.secret, job.storedHash);
    parentPort.postMessage({ result });
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message || error) });
  }
});
`;

/**
 * bcryptjs on a few worker threads: the PasswordHasher the service runs with. Pure JavaScript, so nothing is
 * compiled at install and the hashes are the ones bcryptjs always made. Workers start on the first job (an app
 * that checks no password starts none) and are replaced if one dies. An idle worker does not keep the process
 * alive (unref'd; ref'd while it runs a job), so an app nobody closed does not hold a test run open; close()
 * ends them all.
 */
export class BcryptWorkerPool implements PasswordHasher {
  private readonly slots: Slot[] = [];
  private readonly waiting: Pending[] = [];
  private closed = false;

  constructor(private readonly options: BcryptPoolOptions) {}

  hash(secret: string, rounds: number): Promise<string> {
    return this.submit({ kind: 'hash', secret, rounds }) as Promise<string>;
  }

  compare(secret: string, storedHash: string): Promise<boolean> {
    return this.submit({ kind: 'compare', secret, storedHash }) as Promise<boolean>;
  }

  async close(): Promise<void> {
    this.closed = true;
    const gone = new Error('The password hasher is closed');
    for (const pending of this.waiting.splice(0)) pending.reject(gone);
    const slots = this.slots.splice(0);
    for (const slot of slots) slot.running?.reject(gone);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private submit(job: Job): Promise<string | boolean> {
    if (this.closed) return Promise.reject(new Error('The password hasher is closed'));
    return new Promise((resolve, reject) => {
      const pending = { job, resolve, reject };
      const idle = this.idleSlot();
      if (idle !== undefined) this.run(idle, pending);
      else if (this.waiting.length >= this.options.maxWaiting) reject(new PasswordChecksBusyError());
      else this.waiting.push(pending);
    });
  }

  private idleSlot(): Slot | undefined {
    const idle = this.slots.find((slot) => slot.running === undefined);
    if (idle !== undefined || this.slots.length >= this.options.workers) return idle;
    return this.startSlot();
  }

  private startSlot(): Slot {
    const slot: Slot = { worker: new Worker(WORKER_SOURCE, { eval: true }), running: undefined };
    slot.worker.unref();
    slot.worker.on('message', (answer: { result?: string | boolean; error?: string }) => {
      const pending = slot.running;
      slot.running = undefined;
      slot.worker.unref();
      if (answer.error === undefined) pending?.resolve(answer.result as string | boolean);
      else pending?.reject(new Error(answer.error));
      this.next(slot);
    });
    // A worker that dies takes its job with it; the next job starts a new one.
    const lost = (error: Error) => {
      const index = this.slots.indexOf(slot);
      if (index < 0) return;
      this.slots.splice(index, 1);
      slot.running?.reject(error);
      slot.running = undefined;
      const waiting = this.waiting.shift();
      if (waiting !== undefined) this.run(this.startSlot(), waiting);
    };
    slot.worker.on('error', lost);
    slot.worker.on('exit', (code) => lost(new Error(`A password worker exited (code ${code})`)));
    this.slots.push(slot);
    return slot;
  }

  private next(slot: Slot): void {
    const pending = this.waiting.shift();
    if (pending !== undefined) this.run(slot, pending);
  }

  private run(slot: Slot, pending: Pending): void {
    slot.running = pending;
    slot.worker.ref();
    slot.worker.postMessage(pending.job);
  }
}
