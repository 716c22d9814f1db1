import { formatCursor, parseCursor, planChangesSince, readableBackMs, SHARED_STORE_MIN_OVERLAP_MS, sharedStoreTiming } from '../../../src/domain/rules/cursors';

describe('presence cursors', () => {
  it('name a server time that reads back the same on any instance', () => {
    expect(formatCursor(1_764_576_000_123)).toBe('1764576000123');
    expect(parseCursor(formatCursor(1_764_576_000_123))).toBe(1_764_576_000_123);
  });
  it('are not recognised when malformed, or in the per-instance form of older versions', () => {
    for (const text of ['', 'abc', '12.5', '-5', '9f3c01ab-42', '1'.repeat(16), ' 123']) expect(parseCursor(text)).toBeUndefined();
  });
});

const now = new Date('2026-01-01T12:00:00.000Z');
const window = { windowMs: 600_000, overlapMs: 2_000 };
const ago = (ms: number) => new Date(now.getTime() - ms);

describe('planChangesSince', () => {
  it('answers a full list when the client has nothing', () => expect(planChangesSince(undefined, now, window)).toEqual({ kind: 'full' }));
  it('answers a full list when the point is exactly the window old', () => {
    expect(planChangesSince(ago(600_000), now, window)).toEqual({ kind: 'full' });
  });
  it('answers the changes just inside the window, read from before the point by the overlap', () => {
    expect(planChangesSince(ago(599_999), now, window)).toEqual({ kind: 'changes', since: ago(601_999) });
  });
  it('reads from the overlap before now for a point of now: only what changed within the overlap comes again', () => {
    expect(planChangesSince(now, now, window)).toEqual({ kind: 'changes', since: ago(2_000) });
  });
  it('reads a point in the future (a client clock ahead of the server) as now, however far ahead', () => {
    expect(planChangesSince(new Date(now.getTime() + 3000), now, window)).toEqual({ kind: 'changes', since: ago(2_000) });
    expect(planChangesSince(new Date(now.getTime() + 3_600_000), now, window)).toEqual({ kind: 'changes', since: ago(2_000) });
  });
  it('depends on nothing but the point: the same answer on every instance, for every consumer of a token', () => {
    expect(planChangesSince(ago(30_000), now, window)).toEqual(planChangesSince(ago(30_000), now, window));
  });
});

describe('the delta overlap', () => {
  it('is split in a shared store: half for a stamped write to land (at most the store timeout), all of it read again', () => {
    expect(sharedStoreTiming(2000, 5000)).toEqual({ stampedWriteTimeoutMs: 1000, lateWriteWindowMs: 2000 });
    expect(sharedStoreTiming(3001, 5000)).toEqual({ stampedWriteTimeoutMs: 1500, lateWriteWindowMs: 3001 });
    expect(sharedStoreTiming(20_000, 5000)).toEqual({ stampedWriteTimeoutMs: 5000, lateWriteWindowMs: 20_000 });
  });
  it('is at least a second in a shared store, leaving each half some room', () => {
    expect(SHARED_STORE_MIN_OVERLAP_MS).toBe(1000);
    expect(sharedStoreTiming(SHARED_STORE_MIN_OVERLAP_MS, 5000).stampedWriteTimeoutMs).toBeGreaterThan(0);
  });
  it('counts in how far back changes can be read: window, overlap and the late-write window', () => {
    expect(readableBackMs({ windowMs: 600_000, overlapMs: 2000 }, 2000)).toBe(604_000);
    expect(readableBackMs({ windowMs: 600_000, overlapMs: 2000 }, 0)).toBe(602_000);
  });
});
