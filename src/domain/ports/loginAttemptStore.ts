/** One window of login attempts counted against a key. */
export interface LoginAttempts {
  count: number;
  /** When the window ends and the count starts again. */
  resetAt: Date;
}

/**
 * Failed-login counters, shared by every instance. tests/storage/loginAttemptStore.contract.test.ts holds both
 * stores to the same answers.
 */
export interface LoginAttemptStore {
  /**
   * Counts one login attempt against `key`, shared by every instance: in the window its first attempt opened
   * (`windowMs` long), or in a new one once that has ended. A new window first forgets the ended ones and then, if
   * `keysKept` counters are still kept, the one whose window ends first.
   */
  countLoginAttempt(key: string, now: Date, windowMs: number, keysKept: number): Promise<LoginAttempts>;
  /** Takes back one attempt counted against `key` in its current window (it succeeded, or was never tried). */
  forgetLoginAttempt(key: string, now: Date): Promise<void>;
}
