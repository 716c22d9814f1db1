import { changedSince, lastVisibleChangeAt } from '../../src/domain/lastVisibleChange';

const at = (ms: number) => new Date(ms);

describe('lastVisibleChangeAt', () => {
  it('is the recorded change while the presence has not expired', () => {
    expect(lastVisibleChangeAt({ status: 'online', presenceExpiresAt: at(5000), presenceChangedAt: at(1000) }, at(4999))).toBe(1000);
  });
  it('is the expiry once it has passed, the moment the user went offline', () => {
    expect(lastVisibleChangeAt({ status: 'online', presenceExpiresAt: at(5000), presenceChangedAt: at(1000) }, at(5000))).toBe(5000);
  });
  it('ignores the expiry of an invisible (offline) user: nothing changed then', () => {
    expect(lastVisibleChangeAt({ status: 'offline', presenceExpiresAt: at(5000), presenceChangedAt: at(1000) }, at(9000))).toBe(1000);
  });
  it('is null for a user who never changed and has no expiry', () => {
    expect(lastVisibleChangeAt({ status: 'offline', presenceExpiresAt: null, presenceChangedAt: null }, at(9000))).toBeNull();
  });
  it('is the expiry for a user with a presence but no recorded change (a document written elsewhere)', () => {
    expect(lastVisibleChangeAt({ status: 'away', presenceExpiresAt: at(5000), presenceChangedAt: null }, at(6000))).toBe(5000);
  });
});

describe('changedSince', () => {
  const user = { status: 'online' as const, presenceExpiresAt: at(5000), presenceChangedAt: at(1000) };
  it('holds for a change strictly after `since`', () => {
    expect(changedSince(user, at(999), at(2000))).toBe(true);
    expect(changedSince(user, at(1000), at(2000))).toBe(false);
  });
  it('holds for an expiry inside the window', () => {
    expect(changedSince(user, at(4000), at(6000))).toBe(true);
    expect(changedSince(user, at(5000), at(6000))).toBe(false);
  });
});
