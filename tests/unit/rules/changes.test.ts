import { expiryChangeAt, isVisibleChange, nextChangeStamp, changeSince, changedSince, lastVisibleChangeAt, changeStampAfterWrite, lastSeenAfterWrite, snapshotValidUntil } from '../../../src/domain/rules/changes';
import type { Status, UserRecord } from '../../../src/domain/ports/records';

const moment = new Date('2026-01-01T12:00:00.000Z');
const soon = new Date(moment.getTime() + 60_000);
const later = new Date(moment.getTime() + 900_000);
const online = { status: 'online' as const, statusText: '', presenceText: 'online', presenceExpiresAt: soon };

describe('isVisibleChange', () => {
  it('is false for a renewal that only moves the expiry', () => {
    expect(isVisibleChange(online, { ...online, presenceExpiresAt: later }, moment)).toBe(false);
  });
  it('is true when the status changes', () => {
    expect(isVisibleChange(online, { ...online, status: 'away', presenceText: 'away' }, moment)).toBe(true);
  });
  it('is true when an expired presence is set again, though the stored status is the same', () => {
    expect(isVisibleChange({ ...online, presenceExpiresAt: moment }, { ...online, presenceExpiresAt: later }, moment)).toBe(true);
  });
  it('is true when the status text or the pnut string changes', () => {
    expect(isVisibleChange(online, { ...online, statusText: 'lunch' }, moment)).toBe(true);
    expect(isVisibleChange(online, { ...online, presenceText: ' online' }, moment)).toBe(true);
  });
  it('is true when the presence ends', () => {
    expect(isVisibleChange(online, { ...online, status: 'offline', presenceExpiresAt: null }, moment)).toBe(true);
  });
  it('is false for going offline while already offline', () => {
    const offline = { ...online, status: 'offline' as const, presenceExpiresAt: null };
    expect(isVisibleChange(offline, { ...offline, statusText: 'x' }, moment)).toBe(false);
  });
});

const at = (ms: number) => new Date(ms);
const ours = (status: string, presenceExpiresAt: Date | null, presenceChangedAt: Date | null) => ({
  status,
  statusText: '',
  presenceExpiresAt,
  presenceChangedAt,
  presenceSeen: { status, statusText: '', statusDefault: null, statusConnection: null },
});

describe('lastVisibleChangeAt', () => {
  it('is the recorded change while the presence has not expired', () => {
    expect(lastVisibleChangeAt(ours('online', at(5000), at(1000)), at(4999))).toBe(1000);
  });
  it('is the expiry once it has passed, the moment the user went offline', () => {
    expect(lastVisibleChangeAt(ours('online', at(5000), at(1000)), at(5000))).toBe(5000);
  });
  it('ignores the expiry of an invisible (offline) user: nothing changed then', () => {
    expect(lastVisibleChangeAt(ours('offline', at(5000), at(1000)), at(9000))).toBe(1000);
  });
  it('is null for a user who never changed and has no expiry', () => {
    expect(lastVisibleChangeAt(ours('offline', null, null), at(9000))).toBeNull();
  });
  it('is the expiry for a user with a presence but no recorded change (a document written by an older version)', () => {
    expect(lastVisibleChangeAt({ status: 'away', statusText: '', presenceExpiresAt: at(5000), presenceChangedAt: null }, at(6000))).toBe(5000);
  });
  it('ignores this service\'s expiry once Rocket.Chat has written the presence: Rocket.Chat\'s status holds', () => {
    const rewritten = { ...ours('online', at(5000), at(1000)), statusConnection: 'online' };
    expect(lastVisibleChangeAt(rewritten, at(9000))).toBe(1000);
  });
  it('is the recorded change for a presence of Rocket.Chat\'s (no expiry of this service)', () => {
    expect(lastVisibleChangeAt({ status: 'away', statusText: '', presenceExpiresAt: null, presenceChangedAt: at(3000) }, at(9000))).toBe(3000);
  });
});

describe('changedSince', () => {
  const user = ours('online', at(5000), at(1000));
  it('holds for a change at or after `since`: a change stamped exactly then may not have been read', () => {
    expect(changedSince(user, at(1000), at(2000))).toBe(true);
    expect(changedSince(user, at(1001), at(2000))).toBe(false);
  });
  it('holds for an expiry inside the window', () => {
    expect(changedSince(user, at(5000), at(6000))).toBe(true);
    expect(changedSince(user, at(5001), at(6000))).toBe(false);
  });
});

describe('changeSince', () => {
  const user = ours('online', at(5000), at(1000));
  it('is the stamp of the last visible change when it is at or after `since`', () => {
    expect(changeSince(user, at(1000), at(2000))).toBe(1000);
    expect(changeSince(user, at(5000), at(6000))).toBe(5000);
  });
  it('is null for a change before `since`, and for a user who never changed', () => {
    expect(changeSince(user, at(1001), at(2000))).toBeNull();
    expect(changeSince({ status: 'offline', statusText: '', presenceExpiresAt: null, presenceChangedAt: null }, at(0), at(2000))).toBeNull();
  });
});

const presence = (status: Status, expiresAt: number | null, changedAt: number | null, statusText = '') => ({
  status,
  statusText,
  presenceText: null,
  presenceExpiresAt: expiresAt === null ? null : at(expiresAt),
  presenceChangedAt: changedAt === null ? null : at(changedAt),
});

describe('changeStampAfterWrite', () => {
  it('stamps a visible change with the time of the write', () => {
    expect(changeStampAfterWrite(presence('online', 9000, 1000), presence('away', 9000, null), at(2000))).toEqual(at(2000));
  });
  it('keeps two changes of one user in the same millisecond apart', () => {
    expect(changeStampAfterWrite(presence('away', 9000, 2000), presence('busy', 9000, null), at(2000))).toEqual(at(2001));
  });
  it('keeps the last stamp for a write nobody can see (a heartbeat that only moves the expiry)', () => {
    expect(changeStampAfterWrite(presence('online', 9000, 1000), presence('online', 12000, null), at(2000))).toEqual(at(1000));
  });
  it('keeps a passed expiry as the stamp when the user then goes invisible', () => {
    expect(changeStampAfterWrite(presence('online', 5000, 1000), presence('offline', null, null), at(8000))).toEqual(at(5000));
  });
  it('keeps a passed expiry as the stamp when an expired user changes only the status text', () => {
    // A message alone keeps the status others see: offline, since the presence expired.
    expect(changeStampAfterWrite(presence('online', 5000, 1000), presence('offline', null, null, 'lunch'), at(8000))).toEqual(at(5000));
  });
  it('stamps the return of an expired user with the time of the write', () => {
    expect(changeStampAfterWrite(presence('online', 5000, 1000), presence('online', 20000, null), at(8000))).toEqual(at(8000));
  });
  it('stays null for a user who never changed visibly', () => {
    expect(changeStampAfterWrite(presence('offline', null, null), presence('offline', null, null, 'x'), at(8000))).toBeNull();
  });
});

describe('lastSeenAfterWrite', () => {
  it('moves to the write when the user shows himself', () => {
    expect(lastSeenAfterWrite({ lastSeenAt: at(1000) }, 'away', at(5000))).toEqual(at(5000));
  });
  it('stays while the user is invisible, so his own calls do not tell others he is active', () => {
    expect(lastSeenAfterWrite({ lastSeenAt: at(1000) }, 'offline', at(5000))).toEqual(at(1000));
    expect(lastSeenAfterWrite({ lastSeenAt: null }, 'offline', at(5000))).toBeNull();
  });
});

const expiringAt = (ms: number) => ({ status: 'online', statusText: '', presenceExpiresAt: new Date(ms) }) as UserRecord;
const rocketChatPresence = { status: 'online', statusText: '', presenceExpiresAt: null } as UserRecord;

describe('snapshotValidUntil', () => {
  it('is the first expiry among the listed users', () => {
    expect(snapshotValidUntil([expiringAt(5000), expiringAt(1500)])).toBe(1500);
  });
  it('never ends by itself for presences without an expiry of this service (Rocket.Chat\'s): only a change ends it', () => {
    expect(snapshotValidUntil([rocketChatPresence])).toBe(Number.POSITIVE_INFINITY);
    expect(snapshotValidUntil([])).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('expiryChangeAt', () => {
  const ours = (status: string, expiresAtMs: number | null) => ({
    status, statusText: '', presenceExpiresAt: expiresAtMs === null ? null : at(expiresAtMs),
    presenceSeen: { status, statusText: '', statusDefault: null, statusConnection: null },
  });
  it('is the moment a presence of this service ran out, once it has', () => {
    expect(expiryChangeAt(ours('away', 5000), at(4999))).toBeNull();
    expect(expiryChangeAt(ours('away', 5000), at(5000))).toBe(5000);
  });
  it('is never for an invisible user, nor for a presence of Rocket.Chat\'s (no expiry of this service)', () => {
    expect(expiryChangeAt(ours('offline', 5000), at(9000))).toBeNull();
    expect(expiryChangeAt(ours('online', null), at(9000))).toBeNull();
  });
});

describe('nextChangeStamp', () => {
  it('is now for a user who never changed, and for one whose last change is older', () => {
    expect(nextChangeStamp({ status: 'offline', statusText: '', presenceExpiresAt: null, presenceChangedAt: null }, at(5000))).toEqual(at(5000));
    expect(nextChangeStamp({ status: 'away', statusText: '', presenceExpiresAt: null, presenceChangedAt: at(3000) }, at(5000))).toEqual(at(5000));
  });
  it('is one millisecond after a last change at or after now, so two changes are never one stamp', () => {
    expect(nextChangeStamp({ status: 'away', statusText: '', presenceExpiresAt: null, presenceChangedAt: at(5000) }, at(5000))).toEqual(at(5001));
    expect(nextChangeStamp({ status: 'away', statusText: '', presenceExpiresAt: null, presenceChangedAt: at(7000) }, at(5000))).toEqual(at(7001));
  });
});
