import { describeEachStore } from '../support/testApp';
import { storePerTest } from './support/storePerTest';
import { at } from './support/users';

/** More counters than any case here opens. */
const KEPT = 100;

/** Failed-login counters (LoginAttemptStore): both stores give the same answers. */
describeEachStore('LoginAttemptStore contract', (kind) => {
  const store = storePerTest(kind);

  describe('login attempts', () => {
    it('counts attempts per key in a window opened by the first, then starts again', async () => {
      expect(await store().countLoginAttempt('k', at(0), 60_000, KEPT)).toEqual({ count: 1, resetAt: at(60) });
      expect(await store().countLoginAttempt('k', at(30), 60_000, KEPT)).toEqual({ count: 2, resetAt: at(60) });
      expect(await store().countLoginAttempt('other', at(30), 60_000, KEPT)).toEqual({ count: 1, resetAt: at(90) });
      expect(await store().countLoginAttempt('k', at(60), 60_000, KEPT)).toEqual({ count: 1, resetAt: at(120) });
    });

    it('takes back an attempt in the current window only', async () => {
      await store().countLoginAttempt('k', at(0), 60_000, KEPT);
      await store().countLoginAttempt('k', at(1), 60_000, KEPT);
      await store().forgetLoginAttempt('k', at(2));
      expect(await store().countLoginAttempt('k', at(3), 60_000, KEPT)).toEqual({ count: 2, resetAt: at(60) });
      await store().forgetLoginAttempt('k', at(61));
      expect(await store().countLoginAttempt('k', at(61), 60_000, KEPT)).toEqual({ count: 1, resetAt: at(121) });
    });

    it('shares the count with every instance over the same data', async () => {
      const second = await store().twin();
      try {
        await store().countLoginAttempt('shared', at(0), 60_000, KEPT);
        expect(await second.countLoginAttempt('shared', at(1), 60_000, KEPT)).toEqual({ count: 2, resetAt: at(60) });
      } finally {
        await second.dispose();
      }
    });
  });

  it('keeps at most the counters asked, letting the one whose window ends first go, after the ended ones', async () => {
    await store().countLoginAttempt('one', at(0), 60_000, 3);
    await store().countLoginAttempt('two', at(1), 60_000, 3);
    await store().countLoginAttempt('three', at(2), 60_000, 3);
    await store().countLoginAttempt('three', at(3), 60_000, 3);
    expect(await store().countLoginAttempt('four', at(4), 60_000, 3)).toEqual({ count: 1, resetAt: at(64) });
    // 'one' went for 'four', so counts anew (and 'two' goes for it); 'three' kept its count (and goes for 'two').
    expect(await store().countLoginAttempt('one', at(5), 60_000, 3)).toEqual({ count: 1, resetAt: at(65) });
    expect(await store().countLoginAttempt('three', at(6), 60_000, 3)).toEqual({ count: 3, resetAt: at(62) });
    expect(await store().countLoginAttempt('two', at(7), 60_000, 3)).toEqual({ count: 1, resetAt: at(67) });
    // At 64.5 s 'four' (64 s) has ended: it goes, and 'one', the first to end of those live, stays.
    expect(await store().countLoginAttempt('five', at(64.5), 60_000, 3)).toEqual({ count: 1, resetAt: at(124.5) });
    expect(await store().countLoginAttempt('one', at(64.5), 60_000, 3)).toEqual({ count: 2, resetAt: at(65) });
  });
});
