/** A client that called too often; `retryAfterSeconds` goes to the Retry-After header and the message. */
export class RateLimitedError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`Error, too many requests. Please slow down. You must wait ${retryAfterSeconds} seconds before trying this endpoint again.`);
    this.name = 'RateLimitedError';
  }
}
