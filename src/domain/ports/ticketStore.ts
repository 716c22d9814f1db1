import type { StreamTicket } from './records';

/**
 * Stream tickets (see StreamTicket), shared by every instance: one issues a ticket, any may take it.
 * tests/storage/ticketStore.contract.test.ts holds both stores to the same answers.
 */
export interface TicketStore {
  /** Saves a ticket issued at `now`, and forgets those expired by then (a ticket lives seconds, not longer). */
  saveStreamTicket(ticket: StreamTicket, now: Date): Promise<void>;
  /** Removes the ticket and returns it: a ticket can be taken once, by one instance. null when there is none. */
  takeStreamTicket(hashedTicket: string): Promise<StreamTicket | null>;
}
