import { firstIndexAbove } from '../../domain/firstIndexAbove';

/**
 * Presence changes in timestamp order, kept for `retentionMs`. Reading the changes after a time is a binary
 * search plus the entries in the window, so a delta costs the same with ten users or a hundred thousand.
 */
export class ChangeLog {
  private times: number[] = [];
  private userIds: string[] = [];
  /** Entries before this index have expired; they are cut off in bulk so a write never copies the whole log. */
  private head = 0;

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

  /** Distinct ids of users with a change stamped at or after `sinceMs`. */
  userIdsFrom(sinceMs: number): Set<string> {
    const ids = new Set<string>();
    for (let i = this.insertionIndex(sinceMs - 1); i < this.times.length; i += 1) ids.add(this.userIds[i]);
    return ids;
  }

  get length(): number {
    return this.times.length - this.head;
  }

  /** First index at or after the head whose time is greater than `timeMs`. */
  private insertionIndex(timeMs: number): number {
    return firstIndexAbove(this.times, timeMs, this.head);
  }

  private dropOlderThan(cutoffMs: number): void {
    while (this.head < this.times.length && this.times[this.head] < cutoffMs) this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.userIds = this.userIds.slice(this.head);
      this.head = 0;
    }
  }
}
