import { effectiveStatus } from '../../src/domain/effectiveStatus';

const now = new Date('2026-01-01T12:00:00.000Z');
const later = new Date(now.getTime() + 1);
/** What this service writes with a presence: Rocket.Chat's fields as it left them. */
const seen = (status: string, statusText = '') => ({ status, statusText, statusDefault: null, statusConnection: null });

describe('effectiveStatus of a presence set through this service', () => {
  it('is the chosen status while the presence is current', () => {
    expect(effectiveStatus({ status: 'busy', statusText: '', presenceExpiresAt: later, presenceSeen: seen('busy') }, now)).toBe('busy');
  });
  it('is offline from the very millisecond the presence expires', () => {
    expect(effectiveStatus({ status: 'away', statusText: '', presenceExpiresAt: now, presenceSeen: seen('away') }, now)).toBe('offline');
  });
  it('is offline for a user who chose offline (invisible)', () => {
    expect(effectiveStatus({ status: 'offline', statusText: '', presenceExpiresAt: later, presenceSeen: seen('offline') }, now)).toBe('offline');
  });
  it('counts the expiry for a presence written before this service recorded what it saw (no presenceSeen)', () => {
    expect(effectiveStatus({ status: 'online', statusText: '', presenceExpiresAt: now }, now)).toBe('offline');
  });
});

describe('effectiveStatus of a presence Rocket.Chat set', () => {
  it('is the status as written when there is no expiry of this service: Rocket.Chat decides how long it lasts', () => {
    expect(effectiveStatus({ status: 'away', statusText: '', presenceExpiresAt: null }, now)).toBe('away');
    expect(effectiveStatus({ status: 'offline', statusText: '', presenceExpiresAt: null }, now)).toBe('offline');
  });
  it('is Rocket.Chat status when Rocket.Chat wrote after this service, even past this service\'s expiry', () => {
    const user = { status: 'online', statusText: '', statusConnection: 'online', presenceExpiresAt: new Date(now.getTime() - 60_000), presenceSeen: seen('online') };
    expect(effectiveStatus(user, now)).toBe('online');
  });
  it('is offline when Rocket.Chat set offline over a presence of this service still current', () => {
    const user = { status: 'offline', statusText: '', statusConnection: 'offline', presenceExpiresAt: later, presenceSeen: seen('busy') };
    expect(effectiveStatus(user, now)).toBe('offline');
  });
  it('reads a status Rocket.Chat knows and this service does not (disabled) as offline', () => {
    expect(effectiveStatus({ status: 'disabled', statusText: '', presenceExpiresAt: null }, now)).toBe('offline');
  });
});
