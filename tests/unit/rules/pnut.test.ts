import { InvalidParamError } from '../../../src/domain/errors';
import { isPnutPresenceString, parsePnutPresence, pnutPresenceOf, pnutStatusEnd, MAX_EXPIRATION_AHEAD_MS, resolveExpiration } from '../../../src/domain/rules/pnut';

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

describe('pnutStatusEnd', () => {
  const chosen = new Date(now.getTime() + 6 * 86_400_000);
  it.each([
    ['online never has an end', 'online', chosen, false, null],
    ['online renewed has none either', 'online', undefined, true, null],
    ['a status set with an expiration ends then', 'away', chosen, false, chosen],
    ['a status chosen without an expiration has no end', 'away', undefined, false, null],
    ['the same presence renewed keeps its end', 'away', undefined, true, undefined],
    ['anything else (a renewal to another status) has no end', 'busy', undefined, false, null],
  ] as const)('%s', (_name, status, expiration, samePresenceRenewed, expected) => {
    expect(pnutStatusEnd(status, expiration, samePresenceRenewed)).toEqual(expected);
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

const nowSeconds = now.getTime() / 1000;

describe('resolveExpiration', () => {
  it('defaults to now plus the time to live', () => {
    expect(resolveExpiration(undefined, now, 900_000)).toEqual({ ok: true, expiresAt: new Date(now.getTime() + 900_000) });
  });
  it('takes Unix seconds', () => {
    expect(resolveExpiration(String(nowSeconds + 60), now, 900_000)).toEqual({ ok: true, expiresAt: new Date(now.getTime() + 60_000) });
  });
  it('accepts exactly 7 days ahead', () => {
    expect(resolveExpiration(String(nowSeconds + MAX_EXPIRATION_AHEAD_MS / 1000), now, 1).ok).toBe(true);
  });
  it.each([
    ['now', String(nowSeconds)],
    ['the past', String(nowSeconds - 1)],
    ['more than 7 days ahead', String(nowSeconds + MAX_EXPIRATION_AHEAD_MS / 1000 + 1)],
    ['a fraction', `${nowSeconds + 60}.5`],
    ['negative', '-5'],
    ['not a number', 'soon'],
    ['empty', ''],
  ])('refuses %s', (_, value) => expect(resolveExpiration(value, now, 900_000).ok).toBe(false));
});

describe("pnut's 100-code-point limit", () => {
  it('counts code points: 100 emoji pass, 101 do not', () => {
    expect(isPnutPresenceString('🎧'.repeat(100))).toBe(true);
    expect(isPnutPresenceString('🎧'.repeat(101))).toBe(false);
  });
  it('is enforced where a presence string is parsed, naming the parameter', () => {
    // The error carries what it concerns; the words a client reads are the HTTP layer's (errorWording.ts).
    let thrown: unknown;
    try {
      parsePnutPresence('x'.repeat(101));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidParamError);
    expect(thrown).toMatchObject({ param: 'presence', reason: 'must be at most 100 characters long' });
    expect(parsePnutPresence('x'.repeat(100))).toMatchObject({ kind: 'set', status: 'online' });
  });
});
