/**
 * bcrypt, wherever it runs: the domain hashes and checks passwords through this port so that no bcrypt run holds
 * up the event loop (issue 23: a flood of failed logins stalled every presence poll). Adapter: BcryptWorkerPool
 * (src/passwords), bcryptjs on worker threads.
 */
export interface PasswordHasher {
  /** bcrypt of `secret` at `rounds` with a fresh salt (`$2b$`). */
  hash(secret: string, rounds: number): Promise<string>;
  /** Whether `secret` is what `storedHash` (any bcrypt string, `$2a$`/`$2b$`/`$2y$`) was made from. */
  compare(secret: string, storedHash: string): Promise<boolean>;
  /** Ends the hasher's threads: waiting and later calls are refused. After the last request. */
  close(): Promise<void>;
}

/**
 * Thrown by a hasher whose queue is full: as many checks wait as it may hold. Refused at once, not queued,
 * so a flood cannot grow memory or everyone's wait without bound; clients see 503 and try again.
 */
export class PasswordChecksBusyError extends Error {
  constructor() {
    super('Too many password checks waiting');
    this.name = 'PasswordChecksBusyError';
  }
}
