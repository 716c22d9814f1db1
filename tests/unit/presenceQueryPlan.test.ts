import { planPresenceQuery } from '../../src/domain/presenceQueryPlan';

const now = new Date('2026-01-01T12:00:00.000Z');
const window = { windowMs: 600_000, overlapMs: 10_000 };
const ago = (ms: number) => new Date(now.getTime() - ms);

describe('planPresenceQuery', () => {
  it('answers a full list without from', () => expect(planPresenceQuery(undefined, now, window)).toEqual({ kind: 'full' }));
  it('answers a full list when from is exactly the window old', () => {
    expect(planPresenceQuery(ago(600_000), now, window)).toEqual({ kind: 'full' });
  });
  it('answers a delta just inside the window, read from before from by the overlap', () => {
    expect(planPresenceQuery(ago(599_999), now, window)).toEqual({ kind: 'delta', since: ago(609_999) });
  });
  it('reads a from in the future (a client clock ahead of the server) as now, however far ahead', () => {
    expect(planPresenceQuery(new Date(now.getTime() + 3000), now, window)).toEqual({ kind: 'delta', since: ago(10_000) });
    expect(planPresenceQuery(new Date(now.getTime() + 3_600_000), now, window)).toEqual({ kind: 'delta', since: ago(10_000) });
  });
});
