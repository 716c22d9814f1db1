import type { ConnectionRecord } from '../../../src/domain/ports/connections';
import type { PresenceWrite, UserRecord } from '../../../src/domain/ports/records';
import { isLeaseRenewal, presenceRenewalOf } from '../../../src/domain/rules/renewals';

const at = (second: number) => new Date(Date.UTC(2026, 2, 1, 12, 0, second));

/** A user present through pnut (`online`, the string "online"), as this service last wrote him at(0). */
const CURRENT: UserRecord = {
  id: 'u1',
  username: 'u1',
  name: 'U1',
  utcOffset: 0,
  active: true,
  roles: ['user'],
  status: 'online',
  statusText: '',
  statusDefault: 'online',
  presenceText: 'online',
  presenceExpiresAt: at(900),
  presenceSeen: { status: 'online', statusText: '', statusDefault: 'online', statusConnection: null },
  lastSeenAt: at(0),
  presenceChangedAt: at(0),
  presenceRevision: 3,
  createdAt: at(-60),
  updatedAt: at(0),
};

/** The write a heartbeat at(60) decides over CURRENT: the lease and last_seen_at move, nothing else. */
const HEARTBEAT: PresenceWrite = {
  statusDefault: 'online',
  statusExpiresAt: null,
  status: 'online',
  statusText: '',
  presenceText: 'online',
  presenceExpiresAt: at(960),
  lastSeenAt: at(60),
  presenceChangedAt: at(0),
  presenceSeen: { status: 'online', statusText: '', statusDefault: 'online', statusConnection: null },
  updatedAt: at(60),
};

describe('presenceRenewalOf', () => {
  it('is the lease, last_seen_at and the time of the write when nothing else moves', () => {
    expect(presenceRenewalOf(CURRENT, HEARTBEAT)).toStrictEqual({ presenceExpiresAt: at(960), lastSeenAt: at(60), updatedAt: at(60) });
  });

  it('is so whether the write leaves the chosen status and its end as they are (undefined) or names the same', () => {
    expect(presenceRenewalOf(CURRENT, { ...HEARTBEAT, statusDefault: undefined, statusExpiresAt: undefined })).not.toBeNull();
    const timed = { ...CURRENT, statusDefault: 'away', statusExpiresAt: at(3600), status: 'away' as const, presenceText: 'away', presenceSeen: { ...CURRENT.presenceSeen!, status: 'away', statusDefault: 'away' } };
    const renewedTimed = { ...HEARTBEAT, statusDefault: 'away' as const, statusExpiresAt: at(3600), status: 'away' as const, presenceText: 'away', presenceSeen: timed.presenceSeen };
    expect(presenceRenewalOf(timed, renewedTimed)).not.toBeNull();
    expect(presenceRenewalOf(timed, { ...renewedTimed, statusExpiresAt: undefined })).not.toBeNull();
  });

  it('carries a presence without expiry, and an invisible user whose last_seen_at stays', () => {
    expect(presenceRenewalOf(CURRENT, { ...HEARTBEAT, presenceExpiresAt: null, lastSeenAt: at(0) })).toStrictEqual({ presenceExpiresAt: null, lastSeenAt: at(0), updatedAt: at(60) });
  });

  it.each<[string, Partial<PresenceWrite>]>([
    ['another chosen status', { statusDefault: 'away' }],
    ['an end of the chosen status', { statusExpiresAt: at(3600) }],
    ['another status shown', { status: 'away' }],
    ['another status text', { statusText: 'lunch' }],
    ['another pnut string', { presenceText: 'here' }],
    ['no pnut string', { presenceText: null }],
    ['a new change stamp (a change clients see, or an expiry that happened)', { presenceChangedAt: at(60) }],
    ['other Rocket.Chat fields recorded', { presenceSeen: { ...HEARTBEAT.presenceSeen, statusConnection: 'online' } }],
  ])('is null for a write with %s', (_what, fields) => {
    expect(presenceRenewalOf(CURRENT, { ...HEARTBEAT, ...fields })).toBeNull();
  });

  it('is null for a user without a stamp or without a recorded Rocket.Chat presence (never written by this service)', () => {
    expect(presenceRenewalOf({ ...CURRENT, presenceChangedAt: null }, HEARTBEAT)).toBeNull();
    expect(presenceRenewalOf({ ...CURRENT, presenceSeen: undefined }, HEARTBEAT)).toBeNull();
  });

  it('is null when the user has no end of a chosen status and the write sets one, or the reverse', () => {
    expect(presenceRenewalOf({ ...CURRENT, statusExpiresAt: at(3600) }, HEARTBEAT)).toBeNull();
  });
});

describe('isLeaseRenewal', () => {
  const RUNNING: ConnectionRecord = {
    id: 'c1', userId: 'u1', hashedToken: 'phone', kind: 'declaration', state: 'online', instanceId: null, clientRenewed: true, expiresAt: at(900), createdAt: at(0),
  };

  it('is true when only the lease moves, later or earlier', () => {
    expect(isLeaseRenewal(RUNNING, { ...RUNNING, expiresAt: at(960) })).toBe(true);
    expect(isLeaseRenewal(RUNNING, { ...RUNNING, expiresAt: at(60) })).toBe(true);
    expect(isLeaseRenewal(RUNNING, { ...RUNNING, createdAt: at(0) })).toBe(true);
  });

  it('is false for a new connection', () => {
    expect(isLeaseRenewal(undefined, RUNNING)).toBe(false);
  });

  it.each<[string, Partial<ConnectionRecord>]>([
    ['another id', { id: 'c2' }],
    ['another user', { userId: 'u2' }],
    ['another token', { hashedToken: 'tablet' }],
    ['another kind', { kind: 'heartbeat' }],
    ['another state', { state: 'away' }],
    ['an instance', { instanceId: 'i1' }],
    ['another renewer', { clientRenewed: false }],
    ['another creation time', { createdAt: at(1) }],
  ])('is false for %s', (_what, fields) => {
    expect(isLeaseRenewal(RUNNING, { ...RUNNING, expiresAt: at(960), ...fields })).toBe(false);
  });
});
