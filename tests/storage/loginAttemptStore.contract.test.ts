import type { TestStore } from '../support/stores';
import { describeEachStore } from '../support/testApp';
import { at } from './support/users';

/** Failed-login counters (LoginAttemptStore): both stores give the same answers. */
describeEachStore('LoginAttemptStore contract', (kind) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await kind.create();
  });
  afterEach(() => store.dispose());

  describe('login attempts', () => {
    it('counts attempts per key in a window opened by the first, then starts again', async () => {
      expect(await store.countLoginAttempt('k', at(0), 60_000)).toEqual({ count: 1, resetAt: at(60) });
      expect(await store.countLoginAttempt('k', at(30), 60_000)).toEqual({ count: 2, resetAt: at(60) });
      expect(await store.countLoginAttempt('other', at(30), 60_000)).toEqual({ count: 1, resetAt: at(90) });
      expect(await store.countLoginAttempt('k', at(60), 60_000)).toEqual({ count: 1, resetAt: at(120) });
    });

    it('takes back an attempt in the current window only', async () => {
      await store.countLoginAttempt('k', at(0), 60_000);
      await store.countLoginAttempt('k', at(1), 60_000);
      await store.forgetLoginAttempt('k', at(2));
      expect(await store.countLoginAttempt('k', at(3), 60_000)).toEqual({ count: 2, resetAt: at(60) });
      await store.forgetLoginAttempt('k', at(61));
      expect(await store.countLoginAttempt('k', at(61), 60_000)).toEqual({ count: 1, resetAt: at(121) });
    });

    it('shares the count with every instance over the same data', async () => {
      const second = await store.twin();
      try {
        await store.countLoginAttempt('shared', at(0), 60_000);
        expect(await second.countLoginAttempt('shared', at(1), 60_000)).toEqual({ count: 2, resetAt: at(60) });
      } finally {
        await second.dispose();
      }
    });
  });
});
