import type { ConnectionRecord } from '../../../src/domain/ports/connections';
import { loadConfig } from '../../../src/config/loadConfig';
import { chosenStatusOf, connectionCounts, declarationEnd, heartbeatIntervalMs, isSamePresenceRenewed, isLive, presenceOfConnections, streamRenewalDueBefore, timedStatusEnded, withConnectionPut } from '../../../src/domain/rules/connections';

const NOW = new Date('2026-03-01T12:00:00.000Z');

let counter = 0;
/** A connection of user u1, online, a heartbeat, live until `expiresAt`; `fields` replace any of it. */
function connection(expiresAt: Date, fields: Partial<ConnectionRecord> = {}): ConnectionRecord {
  counter += 1;
  return {
    id: `c${counter}`,
    userId: 'u1',
    hashedToken: 'token-1',
    kind: 'heartbeat',
    state: 'online',
    instanceId: null,
    clientRenewed: true,
    expiresAt,
    createdAt: new Date('2026-03-01T11:00:00.000Z'),
    ...fields,
  };
}

describe('streamRenewalDueBefore', () => {
  it('is half a lease from now with the defaults', () => {
    expect(streamRenewalDueBefore(new Date('2026-03-01T12:00:00.000Z'), { leaseMs: 30_000, renewMs: 5_000 })).toStrictEqual(new Date('2026-03-01T12:00:15.000Z'));
  });

  it('is three rounds from now where half a lease is less, and never past the whole lease', () => {
    expect(streamRenewalDueBefore(new Date('2026-03-01T12:00:00.000Z'), { leaseMs: 20_000, renewMs: 5_000 })).toStrictEqual(new Date('2026-03-01T12:00:15.000Z'));
    expect(streamRenewalDueBefore(new Date('2026-03-01T12:00:00.000Z'), { leaseMs: 15_000, renewMs: 5_000 })).toStrictEqual(new Date('2026-03-01T12:00:15.000Z'));
  });

  /**
   * Rounds every renewMs, the first `firstRoundMs` after a stream opened with a full lease (streams open between
   * rounds): how often its lease is written over `rounds` rounds, and the least lease a round finds left.
   */
  function renewals(times: { leaseMs: number; renewMs: number }, firstRoundMs: number, rounds: number): { writes: number; leastLeftMs: number } {
    let expiresAtMs = times.leaseMs;
    let writes = 0;
    let leastLeftMs = Number.POSITIVE_INFINITY;
    for (let round = 0; round < rounds; round += 1) {
      const nowMs = firstRoundMs + round * times.renewMs;
      leastLeftMs = Math.min(leastLeftMs, expiresAtMs - nowMs);
      if (expiresAtMs < streamRenewalDueBefore(new Date(nowMs), times).getTime()) {
        expiresAtMs = nowMs + times.leaseMs;
        writes += 1;
      }
    }
    return { writes, leastLeftMs };
  }

  it.each([
    // The defaults: written every fourth round; a round always finds two rounds' time left, so one late by up to
    // 10 s still renews a running lease.
    [{ leaseMs: 30_000, renewMs: 5_000 }, { writes: 7, leastLeftMs: 10_000 }],
    // The shortest lease loadConfig allows (3 rounds): written every round, two rounds left.
    [{ leaseMs: 15_000, renewMs: 5_000 }, { writes: 30, leastLeftMs: 10_000 }],
    [{ leaseMs: 20_000, renewMs: 5_000 }, { writes: 15, leastLeftMs: 10_000 }],
    [{ leaseMs: 60_000, renewMs: 5_000 }, { writes: 4, leastLeftMs: 25_000 }],
  ])('over 30 rounds of %j a stream is written and left as %j, wherever between two rounds it opened', (times, expected) => {
    for (const firstRoundMs of [times.renewMs, 1, times.renewMs / 2, times.renewMs - 1]) {
      expect(renewals(times, firstRoundMs, 30)).toStrictEqual(expected);
    }
  });
});

describe('heartbeatIntervalMs', () => {
  it('is 12 s with the defaults: a 30 s lease renewed every 5 s', () => {
    expect(heartbeatIntervalMs({ leaseMs: 30_000, renewMs: 5_000 })).toBe(12_000);
  });

  it('is 12 s with the lease and renewal loadConfig defaults to', () => {
    const config = loadConfig({}, { openFiles: 20_000 });
    expect(heartbeatIntervalMs({ leaseMs: config.connectionLeaseSeconds * 1000, renewMs: config.connectionRenewSeconds * 1000 })).toBe(12_000);
  });

  it.each([
    [{ leaseMs: 60_000, renewMs: 10_000 }, 25_000],
    [{ leaseMs: 3_600_000, renewMs: 1_200_000 }, 1_200_000],
    [{ leaseMs: 6_000, renewMs: 2_000 }, 2_000],
  ])('is half of what the lease leaves after a renewal: %j → %d ms', (times, expected) => {
    expect(heartbeatIntervalMs(times)).toBe(expected);
  });

  it.each([
    // (31 - 5) / 2 = 13 s exactly; (32.5 - 5) / 2 = 13.75 s, (33.999 - 5) / 2 = 14.4995 s: rounded down to whole seconds.
    [{ leaseMs: 31_000, renewMs: 5_000 }, 13_000],
    [{ leaseMs: 32_500, renewMs: 5_000 }, 13_000],
    [{ leaseMs: 33_999, renewMs: 5_000 }, 14_000],
    [{ leaseMs: 9_000, renewMs: 3_500 }, 2_000],
  ])('is whole seconds, rounded down: %j → %d ms', (times, expected) => {
    const interval = heartbeatIntervalMs(times);
    expect(interval).toBe(expected);
    expect(interval % 1000).toBe(0);
  });

  it.each([
    [{ leaseMs: 3_000, renewMs: 1_000 }],
    [{ leaseMs: 2_999, renewMs: 1_000 }],
    [{ leaseMs: 1_000, renewMs: 1_000 }],
    [{ leaseMs: 1_000, renewMs: 5_000 }],
  ])('is at least 1 s: %j → 1000 ms', (times) => {
    expect(heartbeatIntervalMs(times)).toBe(1_000);
  });
});

describe('declarationEnd', () => {
  const ttlEnd = new Date(NOW.getTime() + 900_000);
  const sixDays = new Date(NOW.getTime() + 6 * 86_400_000);
  const soon = new Date(NOW.getTime() + 60_000);

  it.each([
    ['the same presence renewed keeps a longer end the client chose', ttlEnd, sixDays, true, sixDays],
    ['the same presence renewed lengthens a shorter end', ttlEnd, soon, true, ttlEnd],
    ['a renewal of none asks its own end', ttlEnd, undefined, true, ttlEnd],
    ['anything else replaces a longer end', ttlEnd, sixDays, false, ttlEnd],
    ['anything else replaces a shorter end', sixDays, soon, false, sixDays],
    ['anything else of none asks its own end', soon, undefined, false, soon],
  ] as const)('%s', (_name, asked, running, samePresenceRenewed, expected) => {
    expect(declarationEnd(asked, running, samePresenceRenewed)).toEqual(expected);
  });
});

describe('isSamePresenceRenewed: the one rule both chosen ends (declaration, status) keep to', () => {
  it.each([
    ['a renewal of the status already chosen', 'renewal', 'away', 'away', true],
    ['a renewal of online while online is chosen', 'renewal', 'online', 'online', true],
    ['a renewal asking no status (users.setStatus with a message alone)', 'renewal', undefined, 'busy', true],
    ['a renewal to online while away is chosen', 'renewal', 'online', 'away', false],
    ['a renewal to another status', 'renewal', 'busy', 'away', false],
    ['a choice of the same status', 'choice', 'away', 'away', false],
    ['a choice of another status', 'choice', 'online', 'away', false],
  ] as const)('%s: %s', (_name, setBy, asked, chosenBefore, expected) => {
    expect(isSamePresenceRenewed(setBy, asked, chosenBefore)).toBe(expected);
  });
});

describe('withConnectionPut', () => {
  const later = new Date('2026-12-07T12:00:00Z');
  const earlier = new Date('2026-12-07T11:00:00Z');

  it('replaces the connection with the put one\'s id, keeping the others', () => {
    const running = connection(earlier, { id: 'declared' });
    const stream = connection(later, { id: 'stream', kind: 'stream' });
    const renewed = { ...running, expiresAt: later };
    expect(withConnectionPut([running, stream], renewed)).toEqual([stream, renewed]);
  });

  it('adds a new one, and leaves the list alone when nothing is put', () => {
    const stream = connection(later, { id: 'stream', kind: 'stream' });
    const fresh = connection(later, { id: 'new' });
    expect(withConnectionPut([stream], fresh)).toEqual([stream, fresh]);
    expect(withConnectionPut([stream], undefined)).toEqual([stream]);
  });
});

describe('isLive', () => {
  it('is live a millisecond before its lease ends', () => {
    expect(isLive({ expiresAt: new Date('2026-03-01T12:00:00.001Z') }, NOW)).toBe(true);
  });
  it('is not live at the very millisecond its lease ends', () => {
    expect(isLive({ expiresAt: new Date('2026-03-01T12:00:00.000Z') }, NOW)).toBe(false);
  });
  it('is not live after its lease ended', () => {
    expect(isLive({ expiresAt: new Date('2026-03-01T11:59:59.999Z') }, NOW)).toBe(false);
  });
});

describe('chosenStatusOf', () => {
  it.each(['online', 'away', 'busy', 'offline'] as const)('is the chosen %s', (status) => {
    expect(chosenStatusOf({ statusDefault: status }, NOW)).toBe(status);
  });
  it('is online when none was chosen', () => {
    expect(chosenStatusOf({}, NOW)).toBe('online');
    expect(chosenStatusOf({ statusDefault: undefined }, NOW)).toBe('online');
  });
  it.each(['', 'invisible', 'Busy', 'AWAY', 'disabled', ' away'])('is online for the unknown status %p', (status) => {
    expect(chosenStatusOf({ statusDefault: status }, NOW)).toBe('online');
  });
  it.each(['away', 'busy', 'offline'] as const)('is the timed %s until it ends, online from the very millisecond it does', (status) => {
    expect(chosenStatusOf({ statusDefault: status, statusExpiresAt: new Date('2026-03-01T12:00:00.001Z') }, NOW)).toBe(status);
    expect(chosenStatusOf({ statusDefault: status, statusExpiresAt: new Date('2026-03-01T12:00:00.000Z') }, NOW)).toBe('online');
    expect(chosenStatusOf({ statusDefault: status, statusExpiresAt: new Date('2026-03-01T11:00:00.000Z') }, NOW)).toBe('online');
  });
  it('is online for an unknown timed status that has not ended', () => {
    expect(chosenStatusOf({ statusDefault: 'invisible', statusExpiresAt: new Date('2026-03-01T13:00:00.000Z') }, NOW)).toBe('online');
  });
});

describe('timedStatusEnded', () => {
  it('is false without a timed status', () => expect(timedStatusEnded({}, NOW)).toBe(false));
  it('is false a millisecond before it ends', () => expect(timedStatusEnded({ statusExpiresAt: new Date('2026-03-01T12:00:00.001Z') }, NOW)).toBe(false));
  it('is true at the very millisecond it ends', () => expect(timedStatusEnded({ statusExpiresAt: new Date('2026-03-01T12:00:00.000Z') }, NOW)).toBe(true));
  it('is true after it ended', () => expect(timedStatusEnded({ statusExpiresAt: new Date('2026-03-01T11:59:59.999Z') }, NOW)).toBe(true));
});

describe('presenceOfConnections', () => {
  const at = (iso: string) => new Date(iso);

  it('is offline with no expiry without a connection', () => {
    expect(presenceOfConnections([], 'online', NOW)).toStrictEqual({ connectionStatus: 'offline', withRocketChat: 'offline', status: 'offline', expiresAt: null });
    expect(presenceOfConnections([], 'busy', NOW)).toStrictEqual({ connectionStatus: 'offline', withRocketChat: 'offline', status: 'offline', expiresAt: null });
  });

  it('ignores lapsed connections, the one whose lease ends this very millisecond too', () => {
    const lapsed = [connection(at('2026-03-01T11:59:59.999Z')), connection(at('2026-03-01T12:00:00.000Z'))];
    expect(presenceOfConnections(lapsed, 'online', NOW)).toStrictEqual({ connectionStatus: 'offline', withRocketChat: 'offline', status: 'offline', expiresAt: null });
    const withLive = [...lapsed, connection(at('2026-03-01T12:00:20.000Z'), { state: 'away' })];
    expect(presenceOfConnections(withLive, 'online', NOW)).toStrictEqual({ connectionStatus: 'away', withRocketChat: 'away', status: 'away', expiresAt: at('2026-03-01T12:00:20.000Z') });
  });

  it('is online when one connection is online and another away, until the latest live lease', () => {
    const connections = [
      connection(at('2026-03-01T12:00:10.000Z'), { state: 'away' }),
      connection(at('2026-03-01T12:00:30.000Z'), { state: 'away', kind: 'stream' }),
      connection(at('2026-03-01T12:00:20.000Z'), { state: 'online' }),
    ];
    expect(presenceOfConnections(connections, 'online', NOW)).toStrictEqual({ connectionStatus: 'online', withRocketChat: 'online', status: 'online', expiresAt: at('2026-03-01T12:00:30.000Z') });
    // In any order.
    expect(presenceOfConnections([...connections].reverse(), 'online', NOW).expiresAt).toStrictEqual(at('2026-03-01T12:00:30.000Z'));
    expect(presenceOfConnections([connections[1], connections[0], connections[2]], 'online', NOW).expiresAt).toStrictEqual(at('2026-03-01T12:00:30.000Z'));
  });

  it('is away when every live connection is away', () => {
    const connections = [connection(at('2026-03-01T12:00:10.000Z'), { state: 'away' }), connection(at('2026-03-01T11:00:00.000Z'), { state: 'online' })];
    expect(presenceOfConnections(connections, 'online', NOW)).toStrictEqual({ connectionStatus: 'away', withRocketChat: 'away', status: 'away', expiresAt: at('2026-03-01T12:00:10.000Z') });
  });

  it('shows a chosen busy over an away connection, and a chosen away over an online one', () => {
    const away = [connection(at('2026-03-01T12:00:10.000Z'), { state: 'away' })];
    expect(presenceOfConnections(away, 'busy', NOW)).toStrictEqual({ connectionStatus: 'away', withRocketChat: 'away', status: 'busy', expiresAt: at('2026-03-01T12:00:10.000Z') });
    const online = [connection(at('2026-03-01T12:00:10.000Z'))];
    expect(presenceOfConnections(online, 'away', NOW)).toStrictEqual({ connectionStatus: 'online', withRocketChat: 'online', status: 'away', expiresAt: at('2026-03-01T12:00:10.000Z') });
  });

  it('shows a chosen offline (invisible) as offline, yet keeps the last lease as its expiry', () => {
    const connections = [connection(at('2026-03-01T12:00:10.000Z')), connection(at('2026-03-01T12:00:25.000Z'), { state: 'away' })];
    expect(presenceOfConnections(connections, 'offline', NOW)).toStrictEqual({ connectionStatus: 'online', withRocketChat: 'online', status: 'offline', expiresAt: at('2026-03-01T12:00:25.000Z') });
  });

  it("counts Rocket.Chat's online connection status as a connection, with no expiry of this service's", () => {
    expect(presenceOfConnections([], 'online', NOW, 'online')).toStrictEqual({ connectionStatus: 'offline', withRocketChat: 'online', status: 'online', expiresAt: null });
    expect(presenceOfConnections([], 'online', NOW, 'away')).toStrictEqual({ connectionStatus: 'offline', withRocketChat: 'away', status: 'away', expiresAt: null });
    expect(presenceOfConnections([], 'busy', NOW, 'online')).toStrictEqual({ connectionStatus: 'offline', withRocketChat: 'online', status: 'busy', expiresAt: null });
    expect(presenceOfConnections([], 'offline', NOW, 'online')).toStrictEqual({ connectionStatus: 'offline', withRocketChat: 'online', status: 'offline', expiresAt: null });
    // Beside a live connection of this service's: the better of both, still no expiry of this service's.
    const away = [connection(at('2026-03-01T12:00:10.000Z'), { state: 'away' })];
    expect(presenceOfConnections(away, 'online', NOW, 'online')).toStrictEqual({ connectionStatus: 'away', withRocketChat: 'online', status: 'online', expiresAt: null });
    const online = [connection(at('2026-03-01T12:00:10.000Z'))];
    expect(presenceOfConnections(online, 'online', NOW, 'away')).toStrictEqual({ connectionStatus: 'online', withRocketChat: 'online', status: 'online', expiresAt: null });
  });

  it("ignores Rocket.Chat's offline connection status, as it does none at all", () => {
    expect(presenceOfConnections([], 'online', NOW, 'offline')).toStrictEqual({ connectionStatus: 'offline', withRocketChat: 'offline', status: 'offline', expiresAt: null });
    const away = [connection(at('2026-03-01T12:00:10.000Z'), { state: 'away' })];
    expect(presenceOfConnections(away, 'online', NOW, 'offline')).toStrictEqual({ connectionStatus: 'away', withRocketChat: 'away', status: 'away', expiresAt: at('2026-03-01T12:00:10.000Z') });
    expect(presenceOfConnections(away, 'online', NOW, null)).toStrictEqual({ connectionStatus: 'away', withRocketChat: 'away', status: 'away', expiresAt: at('2026-03-01T12:00:10.000Z') });
  });
});

describe('connectionCounts', () => {
  it('counts live connections by kind, every kind present', () => {
    const connections = [
      connection(new Date('2026-03-01T12:00:10.000Z'), { kind: 'stream', instanceId: 'i1', clientRenewed: false }),
      connection(new Date('2026-03-01T12:00:20.000Z'), { kind: 'stream', instanceId: 'i2', state: 'away' }),
      connection(new Date('2026-03-01T12:00:00.001Z'), { kind: 'heartbeat' }),
      connection(new Date('2026-03-01T12:05:00.000Z'), { kind: 'declaration' }),
      // Lapsed: not counted, whatever their kind.
      connection(new Date('2026-03-01T12:00:00.000Z'), { kind: 'stream', instanceId: 'i1', clientRenewed: false }),
      connection(new Date('2026-03-01T11:59:00.000Z'), { kind: 'heartbeat' }),
      connection(new Date('2026-03-01T11:00:00.000Z'), { kind: 'declaration' }),
    ];
    expect(connectionCounts(connections, NOW)).toStrictEqual({ stream: 2, heartbeat: 1, declaration: 1 });
  });

  it('is zero of each kind with none live', () => {
    expect(connectionCounts([], NOW)).toStrictEqual({ stream: 0, heartbeat: 0, declaration: 0 });
    expect(connectionCounts([connection(new Date('2026-03-01T12:00:00.000Z'), { kind: 'declaration' })], NOW)).toStrictEqual({ stream: 0, heartbeat: 0, declaration: 0 });
  });
});
