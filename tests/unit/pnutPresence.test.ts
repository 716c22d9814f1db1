import { parsePnutPresence, pnutPresenceOf } from '../../src/domain/pnutPresence';

const now = new Date('2026-01-01T12:00:00.000Z');
const current = new Date(now.getTime() + 60_000);

describe('parsePnutPresence', () => {
  it.each([undefined, '', '1'])('reads %p as online', (value) => {
    expect(parsePnutPresence(value)).toEqual({ kind: 'set', status: 'online', statusText: '', presenceText: 'online' });
  });
  it.each(['0', 'offline'])('reads %p as ending the presence', (value) => {
    expect(parsePnutPresence(value)).toEqual({ kind: 'clear' });
  });
  it.each(['online', 'away', 'busy'] as const)('maps the status word %s to that status', (status) => {
    expect(parsePnutPresence(status)).toEqual({ kind: 'set', status, statusText: '', presenceText: status });
  });
  it('reads any other string as online with that string as status text, kept exactly for pnut', () => {
    expect(parsePnutPresence('  keeping my stick on the ice ')).toEqual({
      kind: 'set',
      status: 'online',
      statusText: 'keeping my stick on the ice',
      presenceText: '  keeping my stick on the ice ',
    });
  });
});

describe('pnutPresenceOf', () => {
  const base = { status: 'online' as const, statusText: '', presenceText: null, presenceExpiresAt: current };

  it('reads back the exact string set through pnut', () => {
    expect(pnutPresenceOf({ ...base, statusText: 'x', presenceText: ' x ' }, now)).toBe(' x ');
  });
  it('shows a Rocket.Chat status text of an online user', () => {
    expect(pnutPresenceOf({ ...base, statusText: 'in a meeting' }, now)).toBe('in a meeting');
  });
  it('shows the status word for away and busy', () => {
    expect(pnutPresenceOf({ ...base, status: 'away', statusText: 'brb' }, now)).toBe('away');
  });
  it('is offline once the presence expired, whatever was set', () => {
    expect(pnutPresenceOf({ ...base, presenceText: 'hello', presenceExpiresAt: now }, now)).toBe('offline');
  });
});
