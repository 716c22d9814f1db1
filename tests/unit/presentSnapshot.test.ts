import { snapshotValidUntil } from '../../src/domain/presentSnapshot';
import type { UserRecord } from '../../src/domain/userRecord';

const expiringAt = (ms: number) => ({ presenceExpiresAt: new Date(ms) }) as UserRecord;

describe('snapshotValidUntil', () => {
  it('is the maximum age when no presence expires sooner', () => {
    expect(snapshotValidUntil([expiringAt(10_000)], 1000, 2000)).toBe(3000);
  });
  it('is the first expiry among the listed users when it comes sooner', () => {
    expect(snapshotValidUntil([expiringAt(5000), expiringAt(1500)], 1000, 2000)).toBe(1500);
  });
  it('is the taking time itself with a zero maximum age (no caching)', () => {
    expect(snapshotValidUntil([], 1000, 0)).toBe(1000);
  });
});
