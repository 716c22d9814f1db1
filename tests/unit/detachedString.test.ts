import { detachedString } from '../../src/domain/detachedString';

describe('detachedString', () => {
  it('is the same text', () => {
    for (const text of ['', 'a', 'twelve chars', 'thirteen char', 'FGYWSJeQHyKjPbuPZ', 'x'.repeat(5000), 'é☕ unicode ✓ text']) expect(detachedString(text)).toBe(text);
  });
});
