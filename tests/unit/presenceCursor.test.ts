import { formatCursor, parseCursor } from '../../src/domain/presenceCursor';

describe('presence cursors', () => {
  it('name a server time that reads back the same on any instance', () => {
    expect(formatCursor(1_764_576_000_123)).toBe('1764576000123');
    expect(parseCursor(formatCursor(1_764_576_000_123))).toBe(1_764_576_000_123);
  });
  it('are not recognised when malformed, or in the per-instance form of older versions', () => {
    for (const text of ['', 'abc', '12.5', '-5', '9f3c01ab-42', '1'.repeat(16), ' 123']) expect(parseCursor(text)).toBeUndefined();
  });
});
