import { STATUSES } from '../../../src/domain/ports/records';
import { isStatus, normaliseStatusText, PRESENT_STATUSES, STATUS_TEXT_MAX_LENGTH, effectiveStatus, hasPresenceExpired, isShownPresent, presenceEndMs } from '../../../src/domain/rules/status';

describe('isStatus', () => {
  it.each(STATUSES)('accepts %s', (status) => expect(isStatus(status)).toBe(true));
  it.each(['Online', 'invisible', '', ' online', null, 1, ['online']])('refuses %p', (value) => expect(isStatus(value)).toBe(false));
});

describe('PRESENT_STATUSES', () => {
  // What the stores' finders of present users without an expiry ask for: exactly the statuses such a user reads as present.
  it.each([...STATUSES, 'disabled'])('holds %s exactly when a user with that status and no expiry reads as present', (status) => {
    const user = { status, statusText: '', presenceExpiresAt: null };
    expect((PRESENT_STATUSES as readonly string[]).includes(status)).toBe(effectiveStatus(user, new Date(0)) !== 'offline');
  });
});

describe('normaliseStatusText', () => {
  it('trims surrounding white space', () => expect(normaliseStatusText('  at lunch \n')).toBe('at lunch'));
  it('cuts to 120 characters after trimming', () => {
    expect(normaliseStatusText(` ${'x'.repeat(130)} `)).toBe('x'.repeat(STATUS_TEXT_MAX_LENGTH));
  });
  it('keeps text of exactly 120 characters', () => expect(normaliseStatusText('y'.repeat(120))).toHaveLength(120));
  it('leaves an empty text empty', () => expect(normaliseStatusText('   ')).toBe(''));
  it('never cuts an emoji in half', () => {
    const cut = normaliseStatusText(`a${'🏒'.repeat(60)}`);
    expect(cut).toBe(`a${'🏒'.repeat(59)}`);
  });
});

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

describe('hasPresenceExpired: an expired presence counts as offline', () => {
  it('holds from the very millisecond a presence of this service ends, not before', () => {
    expect(hasPresenceExpired({ status: 'online', statusText: '', presenceExpiresAt: later, presenceSeen: seen('online') }, now)).toBe(false);
    expect(hasPresenceExpired({ status: 'online', statusText: '', presenceExpiresAt: now, presenceSeen: seen('online') }, now)).toBe(true);
  });
  it('never holds for a presence that is Rocket.Chat\'s to end', () => {
    expect(hasPresenceExpired({ status: 'online', statusText: '', presenceExpiresAt: null }, now)).toBe(false);
    const rewritten = { status: 'away', statusText: '', presenceExpiresAt: new Date(now.getTime() - 60_000), presenceSeen: seen('online') };
    expect(hasPresenceExpired(rewritten, now)).toBe(false);
  });
});

describe('presenceEndMs', () => {
  it('is the expiry of a presence of this service, null for Rocket.Chat\'s', () => {
    expect(presenceEndMs({ status: 'online', statusText: '', presenceExpiresAt: later, presenceSeen: seen('online') })).toBe(later.getTime());
    expect(presenceEndMs({ status: 'online', statusText: '', presenceExpiresAt: null })).toBeNull();
  });
});

describe('isShownPresent', () => {
  it('holds for a current status other than offline', () => {
    expect(isShownPresent({ status: 'busy', statusText: '', presenceExpiresAt: later, presenceSeen: seen('busy') }, now)).toBe(true);
  });
  it('fails for an expired presence, an invisible user and a deactivated one', () => {
    expect(isShownPresent({ status: 'busy', statusText: '', presenceExpiresAt: now, presenceSeen: seen('busy') }, now)).toBe(false);
    expect(isShownPresent({ status: 'offline', statusText: '', presenceExpiresAt: later, presenceSeen: seen('offline') }, now)).toBe(false);
    expect(isShownPresent({ status: 'online', statusText: '', presenceExpiresAt: null, active: false }, now)).toBe(false);
  });
});
