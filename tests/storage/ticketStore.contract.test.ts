import { describeEachStore } from '../support/testApp';
import { storePerTest } from './support/storePerTest';
import { at } from './support/users';

/** Stream tickets (TicketStore): both stores give the same answers. */
describeEachStore('TicketStore contract', (kind) => {
  const store = storePerTest(kind);

  describe('stream tickets', () => {
    it('gives a ticket once', async () => {
      const ticket = { hashedTicket: 'ticket-hash', userId: 'u', hashedToken: 'tok', expiresAt: at(30) };
      await store().saveStreamTicket(ticket, at(0));
      expect(await store().takeStreamTicket('ticket-hash')).toEqual(ticket);
      expect(await store().takeStreamTicket('ticket-hash')).toBeNull();
    });
  });

  it('gives a stream ticket once, and forgets the expired ones when a later one is saved', async () => {
    const ticket = (name: string, issuedAt: Date) => ({ hashedTicket: name, userId: 'u1', hashedToken: 'token-hash', expiresAt: new Date(issuedAt.getTime() + 30_000) });
    await store().saveStreamTicket(ticket('first', at(0)), at(0));
    await store().saveStreamTicket(ticket('second', at(10)), at(10));
    expect(await store().takeStreamTicket('first')).toEqual(ticket('first', at(0)));
    expect(await store().takeStreamTicket('first')).toBeNull();
    expect(await store().takeStreamTicket('unknown')).toBeNull();
    // 'second' expired at 40 s; a ticket saved at 41 s leaves only itself.
    await store().saveStreamTicket(ticket('third', at(41)), at(41));
    expect(await store().takeStreamTicket('second')).toBeNull();
    expect(await store().takeStreamTicket('third')).toEqual(ticket('third', at(41)));
  });
});
