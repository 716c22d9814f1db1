import { changeStampAfterWrite, lastSeenAfterWrite } from '../../src/domain/changeStamp';
import type { Status } from '../../src/domain/status';

const at = (ms: number) => new Date(ms);
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
