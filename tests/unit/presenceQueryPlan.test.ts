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
    const answer = (msAgo: number, position: number) => ({ position, answeredAtMs: now.getTime() - msAgo });
    it('reads exactly after the position of the answer `from` was taken from', () => {
      expect(planPresenceQuery(ago(4000), now, window, [answer(5000, 7)])).toEqual({ kind: 'delta', since: ago(14_000), afterPosition: 7 });
    });
    it('takes the latest answer at or before `from`, never a later one (another consumer of the token, or a lost answer)', () => {
      expect(planPresenceQuery(ago(4000), now, window, [answer(9000, 5), answer(5000, 7), answer(2000, 9)])).toMatchObject({ afterPosition: 7 });
    });
    it('still finds it for a client clock ahead of the server by less than the overlap', () => {
      expect(planPresenceQuery(new Date(now.getTime() + 3000), now, window, [answer(1000, 7)])).toMatchObject({ afterPosition: 7 });
    });
    it('takes the earliest answer less than the overlap before `from` when none is at or before it (a client clock behind)', () => {
      expect(planPresenceQuery(ago(10_000), now, window, [answer(9000, 5), answer(5000, 7), answer(2000, 9)])).toMatchObject({ afterPosition: 5 });
      expect(planPresenceQuery(ago(20_000), now, window, [answer(5000, 7), answer(2000, 9)])).toMatchObject({ afterPosition: 7 });
    });
    it('reads with the overlap when every answer is more than the overlap before `from`', () => {
      expect(planPresenceQuery(ago(4000), now, window, [answer(14_001, 7)])).toEqual({ kind: 'delta', since: ago(14_000) });
    });
    it('answers the full list for a `from` the window old, whatever it knows', () => {
      expect(planPresenceQuery(ago(600_000), now, window, [answer(600_000, 7)])).toEqual({ kind: 'full' });
    });
  });
});
