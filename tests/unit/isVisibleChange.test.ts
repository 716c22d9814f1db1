import { isVisibleChange } from '../../src/domain/isVisibleChange';

const at = new Date('2026-01-01T12:00:00.000Z');
const soon = new Date(at.getTime() + 60_000);
const later = new Date(at.getTime() + 900_000);
const online = { status: 'online' as const, statusText: '', presenceText: 'online', presenceExpiresAt: soon };

describe('isVisibleChange', () => {
  it('is false for a renewal that only moves the expiry', () => {
    expect(isVisibleChange(online, { ...online, presenceExpiresAt: later }, at)).toBe(false);
  });
  it('is true when the status changes', () => {
    expect(isVisibleChange(online, { ...online, status: 'away', presenceText: 'away' }, at)).toBe(true);
  });
  it('is true when an expired presence is set again, though the stored status is the same', () => {
    expect(isVisibleChange({ ...online, presenceExpiresAt: at }, { ...online, presenceExpiresAt: later }, at)).toBe(true);
  });
  it('is true when the status text or the pnut string changes', () => {
    expect(isVisibleChange(online, { ...online, statusText: 'lunch' }, at)).toBe(true);
    expect(isVisibleChange(online, { ...online, presenceText: ' online' }, at)).toBe(true);
  });
  it('is true when the presence ends', () => {
    expect(isVisibleChange(online, { ...online, status: 'offline', presenceExpiresAt: null }, at)).toBe(true);
  });
  it('is false for going offline while already offline', () => {
    const offline = { ...online, status: 'offline' as const, presenceExpiresAt: null };
    expect(isVisibleChange(offline, { ...offline, statusText: 'x' }, at)).toBe(false);
  });
});
