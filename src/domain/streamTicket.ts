/**
 * A short-lived, single-use pass to open a presence stream: a browser's EventSource cannot send headers, and a
 * login token in a URL would end up in proxy logs and browser history. The ticket is stored only as a hash,
 * names the login token it was issued under (logging that token out closes the stream), and is gone once used.
 */
export interface StreamTicket {
  hashedTicket: string;
  userId: string;
  hashedToken: string;
  expiresAt: Date;
}

export function isTicketCurrent(ticket: StreamTicket, now: Date): boolean {
  return ticket.expiresAt.getTime() > now.getTime();
}
