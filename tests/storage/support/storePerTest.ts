import type { StoreKind, TestStore } from '../../support/stores';

/** A new, empty store of `kind` for every test of the enclosing describe, disposed after it: call it inside tests. */
export function storePerTest(kind: StoreKind): () => TestStore {
  const open: TestStore[] = [];
  beforeEach(async () => open.push(await kind.create()));
  afterEach(() => open.pop()?.dispose());
  return () => {
    if (open.length === 0) throw new Error('storePerTest: call it inside a test');
    return open[0];
  };
}
