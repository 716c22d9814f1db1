import { StreamTickets } from '../../src/storage/memory/streamTickets';

const T0 = Date.parse('2026-01-15T12:00:00.000Z');
const ticket = (name: string, issuedAtMs: number) => ({ hashedTicket: name, userId: 'u1', hashedToken: 'h', expiresAt: new Date(issuedAtMs + 30_000) });

describe('StreamTickets (the embedded store\'s tickets)', () => {
  it('keeps a ticket only while it is valid: the tickets of 100 000 requests over an hour never number more than 30 s of them', () => {
    const tickets = new StreamTickets();
    let largest = 0;
    // 100 000 tickets, one every 36 ms, none of them used.
    for (let k = 0; k < 100_000; k += 1) {
      const issuedAt = T0 + k * 36;
      tickets.save(ticket(`t${k}`, issuedAt), new Date(issuedAt));
      largest = Math.max(largest, tickets.size);
    }
    expect(largest).toBe(Math.ceil(30_000 / 36));
  });

  it('drops every expired ticket at the next save, and keeps those still valid', () => {
    const tickets = new StreamTickets();
    tickets.save(ticket('a', T0), new Date(T0));
    tickets.save(ticket('b', T0 + 5_000), new Date(T0 + 5_000));
    tickets.save(ticket('c', T0 + 31_000), new Date(T0 + 31_000));
    expect(tickets.size).toBe(2);
    expect(tickets.take('a')).toBeNull();
    expect(tickets.take('b')).toEqual(ticket('b', T0 + 5_000));
    expect(tickets.size).toBe(1);
  });

  it('costs the same per ticket however many are kept: used tickets leave no trace', () => {
    const tickets = new StreamTickets();
    for (let k = 0; k < 1000; k += 1) {
      tickets.save(ticket(`t${k}`, T0), new Date(T0));
      expect(tickets.take(`t${k}`)).not.toBeNull();
    }
    expect(tickets.size).toBe(0);
  });
});
