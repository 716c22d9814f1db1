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

  describe('for a caller this instance answered before', () => {
    const last = { position: 7, answeredAtMs: now.getTime() - 5000, fromMs: now.getTime() - 20_000 };
    it('reads exactly after that answer\'s position when `from` is at or after it', () => {
      expect(planPresenceQuery(ago(4000), now, window, last)).toEqual({ kind: 'delta', since: ago(14_000), afterPosition: 7 });
    });
    it('still does for a client clock behind the server by less than the overlap, or ahead by any amount', () => {
      expect(planPresenceQuery(ago(14_000), now, window, last)).toMatchObject({ afterPosition: 7 });
      expect(planPresenceQuery(new Date(now.getTime() + 60_000), now, window, last)).toMatchObject({ afterPosition: 7 });
    });
    it('reads with the overlap when `from` is further back than that answer (a client that missed answers)', () => {
      expect(planPresenceQuery(ago(15_001), now, window, last)).toEqual({ kind: 'delta', since: ago(25_001) });
    });
    it('reads with the overlap when `from` repeats that answer\'s own: the answer never arrived', () => {
      const repeated = { ...last, fromMs: now.getTime() - 4000 };
      expect(planPresenceQuery(ago(4000), now, window, repeated)).toEqual({ kind: 'delta', since: ago(14_000) });
    });
    it('answers the full list for a `from` the window old, whatever it knows', () => {
      expect(planPresenceQuery(ago(600_000), now, window, last)).toEqual({ kind: 'full' });
    });
  });
});
