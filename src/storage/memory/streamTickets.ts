import type { StreamTicket } from '../../domain/streamTicket';

/**
 * The embedded store's stream tickets, kept only while they are valid. Every ticket lives the same few seconds
 * and is stamped by the same clock, so the order they are saved in is the order they expire in: saving one drops
 * the expired ones from the front, and each ticket costs a constant amount of work however many are kept.
 */
export class StreamTickets {
  private readonly byHash = new Map<string, StreamTicket>();

  get size(): number {
    return this.byHash.size;
  }

  save(ticket: StreamTicket, now: Date): void {
    const nowMs = now.getTime();
    // Map iterates in insertion order: the oldest first. A ticket taken early is simply not there any more.
    for (const [hashedTicket, kept] of this.byHash) {
      if (kept.expiresAt.getTime() > nowMs) break;
      this.byHash.delete(hashedTicket);
    }
    this.byHash.set(ticket.hashedTicket, ticket);
  }

  /** Removes the ticket and returns it; null when there is none. */
  take(hashedTicket: string): StreamTicket | null {
    const ticket = this.byHash.get(hashedTicket);
    if (ticket === undefined) return null;
    this.byHash.delete(hashedTicket);
    return ticket;
  }
}
