import { changedSince, lastVisibleChangeAt } from '../../src/domain/lastVisibleChange';

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
