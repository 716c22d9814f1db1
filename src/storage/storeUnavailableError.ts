/** The store did not answer in time or is unreachable. Clients get 503 and may retry. */
export class StoreUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`The presence store is unavailable: ${reason}`);
    this.name = 'StoreUnavailableError';
  }
}
