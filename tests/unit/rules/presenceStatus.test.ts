import type { Status } from '../../../src/domain/ports/records';
import { connectionStatusOf, shownStatus, type ConnectionStatus } from '../../../src/domain/rules/presenceStatus';

describe('connectionStatusOf: online if any connection is online, else away if any is away, else offline', () => {
  // Every multiset of up to two entries of {online, away, offline}, the mixed ones in both orders (the function
  // returns early on `online`, so the order it meets them in must not matter).
  const table: [ConnectionStatus[], ConnectionStatus][] = [
    [[], 'offline'],
    [['online'], 'online'],
    [['away'], 'away'],
    [['offline'], 'offline'],
    [['online', 'online'], 'online'],
    [['away', 'away'], 'away'],
    [['offline', 'offline'], 'offline'],
    [['online', 'away'], 'online'],
    [['away', 'online'], 'online'],
    [['online', 'offline'], 'online'],
    [['offline', 'online'], 'online'],
    [['away', 'offline'], 'away'],
    [['offline', 'away'], 'away'],
  ];

  it.each(table)('%j → %s', (states, expected) => {
    expect(connectionStatusOf(states)).toBe(expected);
  });

  it.each(table)('%j → %s, given as any iterable (a generator, read once)', (states, expected) => {
    function* once() {
      yield* states;
    }
    expect(connectionStatusOf(once())).toBe(expected);
  });

  it('finds the online connection after away and offline ones', () => {
    expect(connectionStatusOf(['away', 'offline', 'away', 'online'])).toBe('online');
    expect(connectionStatusOf(['offline', 'offline', 'away', 'offline'])).toBe('away');
  });
});

describe('shownStatus: offline without a connection, the connection status when the chosen status is online, else the chosen status', () => {
  // Every connection status × every chosen status, the expected value written out.
  const table: [ConnectionStatus, Status, Status][] = [
    ['online', 'online', 'online'],
    ['online', 'away', 'away'],
    ['online', 'busy', 'busy'],
    ['online', 'offline', 'offline'],
    ['away', 'online', 'away'],
    ['away', 'away', 'away'],
    ['away', 'busy', 'busy'],
    ['away', 'offline', 'offline'],
    ['offline', 'online', 'offline'],
    ['offline', 'away', 'offline'],
    ['offline', 'busy', 'offline'],
    ['offline', 'offline', 'offline'],
  ];

  it('covers every pair exactly once', () => {
    const pairs = new Set(table.map(([connection, chosen]) => `${connection}/${chosen}`));
    expect(pairs.size).toBe(12);
    expect(table).toHaveLength(12);
  });

  it.each(table)('connection %s, chosen %s → %s', (connection, chosen, expected) => {
    expect(shownStatus(connection, chosen)).toBe(expected);
  });
});
