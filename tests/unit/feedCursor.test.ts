import { formatCursor, parseCursor } from '../../src/domain/feedCursor';

describe('feed cursors', () => {
  it('round-trip', () => {
    expect(parseCursor(formatCursor({ epoch: '0a1b2c3d', position: 42 }))).toEqual({ epoch: '0a1b2c3d', position: 42 });
  });
  it.each(['', '0a1b2c3d', '0a1b2c3d-', '0a1b2c3d--1', 'ZZZZZZZZ-1', '0a1b2c3d-1.5', `0a1b2c3d-${'9'.repeat(16)}`])('refuses %p', (text) => {
    expect(parseCursor(text)).toBeUndefined();
  });
});
