import { effectiveStatus } from '../../src/domain/effectiveStatus';

const now = new Date('2026-01-01T12:00:00.000Z');
const later = new Date(now.getTime() + 1);

describe('effectiveStatus', () => {
  it('is the chosen status while the presence is current', () => {
    expect(effectiveStatus({ status: 'busy', presenceExpiresAt: later }, now)).toBe('busy');
  });
  it('is offline when there never was a presence', () => {
    expect(effectiveStatus({ status: 'online', presenceExpiresAt: null }, now)).toBe('offline');
  });
  it('is offline from the very millisecond the presence expires', () => {
    expect(effectiveStatus({ status: 'away', presenceExpiresAt: now }, now)).toBe('offline');
  });
  it('is offline for a user who chose offline (invisible)', () => {
    expect(effectiveStatus({ status: 'offline', presenceExpiresAt: later }, now)).toBe('offline');
  });
});
