/**
 * Presence changes in timestamp order, kept for `retentionMs`. Reading the changes after a time is a binary
 * search plus the entries in the window, so a delta costs the same with ten users or a hundred thousand.
 */
export class ChangeLog {
  private times: number[] = [];
  private userIds: string[] = [];

  constructor(private readonly retentionMs: number) {}

  record(userId: string, atMs: number): void {
    const at = this.insertionIndex(atMs);
    if (at === this.times.length) {
      this.times.push(atMs);
      this.userIds.push(userId);
    } else {
      // A clock that stepped back: keep the order so the binary search stays right.
      this.times.splice(at, 0, atMs);
      this.userIds.splice(at, 0, userId);
    }
    this.dropOlderThan(atMs - this.retentionMs);
  }

  /** Distinct ids of users with a change stamped after `sinceMs`. */
  userIdsAfter(sinceMs: number): Set<string> {
    const ids = new Set<string>();
    for (let i = this.insertionIndex(sinceMs); i < this.times.length; i += 1) ids.add(this.userIds[i]);
    return ids;
  }

  get length(): number {
    return this.times.length;
  }

  /** First index whose time is greater than `timeMs`. */
  private insertionIndex(timeMs: number): number {
    let low = 0;
    let high = this.times.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.times[mid] <= timeMs) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private dropOlderThan(cutoffMs: number): void {
    if (this.times.length === 0 || this.times[0] >= cutoffMs) return;
    let keepFrom = 0;
    while (keepFrom < this.times.length && this.times[keepFrom] < cutoffMs) keepFrom += 1;
    this.times = this.times.slice(keepFrom);
    this.userIds = this.userIds.slice(keepFrom);
  }
}
