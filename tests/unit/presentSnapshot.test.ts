import { snapshotValidUntil } from '../../src/domain/presentSnapshot';
import type { UserRecord } from '../../src/domain/userRecord';

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
