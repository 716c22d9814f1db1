const BUCKET_MS = 1000;

/**
 * Each user's presence expiry, bucketed by second, so "whose presence expires in [since, now]" reads only the
 * buckets of that window (at most the delta window's length in seconds), never every user.
 */
export class ExpiryIndex {
  private readonly expiryByUser = new Map<string, number>();
  private readonly buckets = new Map<number, Set<string>>();

  set(userId: string, expiresAt: Date | null): void {
    const previous = this.expiryByUser.get(userId);
    if (previous !== undefined) {
      const bucket = this.buckets.get(Math.floor(previous / BUCKET_MS));
      bucket?.delete(userId);
      if (bucket?.size === 0) this.buckets.delete(Math.floor(previous / BUCKET_MS));
      this.expiryByUser.delete(userId);
    }
    if (expiresAt === null) return;
    const expiresAtMs = expiresAt.getTime();
    const key = Math.floor(expiresAtMs / BUCKET_MS);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = new Set();
      this.buckets.set(key, bucket);
    }
    bucket.add(userId);
    this.expiryByUser.set(userId, expiresAtMs);
  }

  /** Adds to `into` the users whose presence expires in [sinceMs, nowMs]. */
  collectExpired(sinceMs: number, nowMs: number, into: Set<string>): void {
    for (let key = Math.floor(sinceMs / BUCKET_MS); key <= Math.floor(nowMs / BUCKET_MS); key += 1) {
      const bucket = this.buckets.get(key);
      if (bucket === undefined) continue;
      for (const userId of bucket) {
        const expiresAtMs = this.expiryByUser.get(userId) as number;
        if (expiresAtMs >= sinceMs && expiresAtMs <= nowMs) into.add(userId);
      }
    }
  }
}
