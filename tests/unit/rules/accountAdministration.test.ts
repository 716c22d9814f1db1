import type { RemovedUser } from '../../../src/domain/ports/records';
import { emailsAfterUpdate, isLastActiveAdmin, pageOf, removalForgetAt, removalStamp, removedUserRecord, withRemovals } from '../../../src/domain/rules/accountAdministration';
import { changedSince, isVisibleChange } from '../../../src/domain/rules/changes';
import { effectiveStatus } from '../../../src/domain/rules/status';
import { userRecord } from '../../support/testApp';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const present = { status: 'online', presenceExpiresAt: at(60_000), presenceSeen: { status: 'online', statusText: '', statusDefault: null, statusConnection: null } };

describe('pageOf', () => {
  it.each([
    [undefined, undefined, { offset: 0, count: 50 }],
    [10, 0, { offset: 10, count: 50 }],
    [0, 20, { offset: 0, count: 20 }],
    [5, 1000, { offset: 5, count: 100 }],
  ])('offset %p, count %p: %p', (offset, count, page) => expect(pageOf(offset, count)).toEqual(page));
});

describe('emailsAfterUpdate', () => {
  const has = { emails: [{ address: 'Ann@Example.com', verified: true }] };
  it.each([
    ['nothing asked', has, undefined, undefined, undefined],
    ['a new address: unverified', has, 'new@example.com', undefined, [{ address: 'new@example.com', verified: false }]],
    ['a new address said verified', has, 'new@example.com', true, [{ address: 'new@example.com', verified: true }]],
    ['the same address in another case: keeps its verification', has, 'ann@example.com', undefined, [{ address: 'ann@example.com', verified: true }]],
    ['a first address', {}, 'ann@example.com', undefined, [{ address: 'ann@example.com', verified: false }]],
  ] as const)('%s', (_label, current, email, verified, expected) => {
    expect(emailsAfterUpdate(current as { emails?: { address: string; verified: boolean }[] }, email, verified)).toEqual(expected);
  });
});

describe('isLastActiveAdmin', () => {
  it('is the one active admin left', () => expect(isLastActiveAdmin({ roles: ['admin'], active: true }, 1)).toBe(true));
  it('is not when another admin is active', () => expect(isLastActiveAdmin({ roles: ['admin'], active: true }, 2)).toBe(false));
  it('is not a user without the role, nor an inactive admin', () => {
    expect(isLastActiveAdmin({ roles: ['user'], active: true }, 1)).toBe(false);
    expect(isLastActiveAdmin({ roles: ['admin'], active: false }, 1)).toBe(false);
  });
});

describe('effectiveStatus of a deactivated user', () => {
  it('is offline whatever was written', () => {
    const user = userRecord({ ...present, active: false });
    expect(effectiveStatus(user, T0)).toBe('offline');
    expect(effectiveStatus({ ...user, active: true }, T0)).toBe('online');
  });

  it('makes a deactivation, and a rename of a user shown present, a visible change', () => {
    const user = userRecord(present);
    expect(isVisibleChange(user, { ...user, active: false }, T0)).toBe(true);
    expect(isVisibleChange(user, { ...user, name: 'Other' }, T0)).toBe(true);
    expect(isVisibleChange(user, { ...user, username: 'other' }, T0)).toBe(true);
    const offline = userRecord();
    expect(isVisibleChange(offline, { ...offline, active: false, name: 'Other' }, T0)).toBe(false);
  });
});

describe('removals', () => {
  const removed: RemovedUser = { userId: 'u1', username: 'ann', name: 'Ann', utcOffset: 2, removedAt: at(5000), forgetAt: at(700_000) };

  it('stamps a removal now, and after the user\'s last change', () => {
    expect(removalStamp(userRecord({ presenceChangedAt: at(-1000) }), T0)).toEqual(T0);
    expect(removalStamp(userRecord({ presenceChangedAt: T0 }), T0)).toEqual(at(1));
    expect(removalStamp(userRecord(), T0)).toEqual(T0);
  });

  it('reads a removed user as offline, changed at his removal, with the names clients last saw', () => {
    const record = removedUserRecord(removed);
    expect(record).toMatchObject({ id: 'u1', username: 'ann', name: 'Ann', utcOffset: 2, status: 'offline', presenceChangedAt: at(5000) });
    expect(effectiveStatus(record, at(6000))).toBe('offline');
    expect(changedSince(record, at(5000), at(6000))).toBe(true);
    expect(changedSince(record, at(5001), at(6000))).toBe(false);
  });

  it('puts a removed user in place of his last record among the changes', () => {
    const other = userRecord({ id: 'u2' });
    const stale = userRecord({ id: 'u1', ...present });
    expect(withRemovals([stale, other], [removed]).map((user) => [user.id, user.status])).toEqual([['u2', 'offline'], ['u1', 'offline']]);
    expect(withRemovals([other], [])).toEqual([other]);
  });

  it('remembers a removal as long as a reader can ask from before it', () => {
    expect(removalForgetAt(at(5000), 602_000)).toEqual(at(607_000));
  });
});
