import { accountLimitNameOf, hasAdminRole, isActiveAdmin, isAdmin, limitedAddressOf, loginAttemptSubject, loginTokenExpiresAtMs, loginTokensToPrune, MAX_LOGIN_TOKENS, tokenExpiresAtMs, isTicketCurrent, isTokenLive, tokenAuthenticatesUntil } from '../../../src/domain/rules/accounts';

const isLoginTokenExpired = (when: Date, at: Date, days: number) => at.getTime() > tokenExpiresAtMs({ when, hashedToken: 'h' }, days);

const now = new Date('2026-04-10T12:00:00.000Z');

describe('login token expiry', () => {
  it('a token lasts exactly the configured number of days', () => {
    expect(loginTokenExpiresAtMs(new Date('2026-01-10T12:00:00.000Z'), 90)).toBe(new Date('2026-04-10T12:00:00.000Z').getTime());
  });

  it('is valid up to its last millisecond and expired after', () => {
    expect(isLoginTokenExpired(new Date('2026-01-10T12:00:00.000Z'), now, 90)).toBe(false);
    expect(isLoginTokenExpired(new Date('2026-01-10T11:59:59.999Z'), now, 90)).toBe(true);
    expect(isLoginTokenExpired(new Date('2026-04-10T11:00:00.000Z'), now, 1)).toBe(false);
  });

  it('a token made in the future (another instance with a clock ahead) is valid', () => {
    expect(isLoginTokenExpired(new Date('2026-04-10T12:00:05.000Z'), now, 90)).toBe(false);
  });

  it('a token without a valid date is expired', () => {
    expect(isLoginTokenExpired(new Date(Number.NaN), now, 90)).toBe(true);
  });

  it('pruning removes exactly the tokens that have expired', () => {
    const tokens = [
      { when: new Date('2026-01-10T11:59:59.999Z'), hashedToken: 'expired' },
      { when: new Date('2026-01-10T12:00:00.000Z'), hashedToken: 'last-valid-millisecond' },
      { when: new Date('2026-04-01T00:00:00.000Z'), hashedToken: 'recent' },
    ];
    expect(loginTokensToPrune(tokens, now, 90)).toEqual(['expired']);
  });

  it('a Rocket.Chat personal access token (no `when`) never expires', () => {
    expect(tokenExpiresAtMs({ hashedToken: 'h', type: 'personalAccessToken' } as never, 90)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('how many login tokens a user keeps', () => {
  const token = (i: number) => ({ when: new Date(now.getTime() - (1000 - i) * 60_000), hashedToken: `t${i}` });

  it(`keeps room for the new token: at ${MAX_LOGIN_TOKENS} live tokens the oldest goes`, () => {
    const tokens = Array.from({ length: MAX_LOGIN_TOKENS }, (_, i) => token(i));
    expect(loginTokensToPrune(tokens, now, 90)).toEqual(['t0']);
    expect(loginTokensToPrune(tokens.slice(1), now, 90)).toEqual([]);
  });

  it('prunes the oldest by login time, whatever the order stored, and every expired one', () => {
    const tokens = [...Array.from({ length: MAX_LOGIN_TOKENS + 2 }, (_, i) => token(i))].reverse();
    tokens.push({ when: new Date('2025-01-01T00:00:00.000Z'), hashedToken: 'expired' });
    expect(loginTokensToPrune(tokens, now, 90).sort()).toEqual(['expired', 't0', 't1', 't2'].sort());
  });

  it('never prunes a personal access token, however many there are', () => {
    const pats = Array.from({ length: MAX_LOGIN_TOKENS + 5 }, (_, i) => ({ hashedToken: `pat${i}`, type: 'personalAccessToken' }) as never);
    expect(loginTokensToPrune(pats, now, 90)).toEqual([]);
  });
});

describe('loginAttemptSubject: what failed logins are counted under', () => {
  it('counts every spelling of a login name together', () => {
    expect(loginAttemptSubject('login', 'Alice')).toBe('alice');
  });
  it('counts an address as limitedAddressOf does', () => {
    expect(loginAttemptSubject('address', '[2001:db8:1:2::1]:443')).toBe('2001:db8:1:2::/64');
  });
});

describe('accountLimitNameOf: what the account limit counts a login under', () => {
  const alice = { username: 'Alice', emails: [{ address: 'Alice@Example.com', verified: true }, { address: 'a@work.example', verified: false }] };

  it('counts a username as the user\'s own, lower-cased, however the store matched it', () => {
    expect(accountLimitNameOf('alice', alice)).toBe('alice');
    expect(accountLimitNameOf('ALICE', alice)).toBe('alice');
    // A spelling only MongoDB's collation folds (full-width letters) counts with the username it found.
    expect(accountLimitNameOf('ａｌｉｃｅ', alice)).toBe('alice');
  });

  it('counts an e-mail address as itself, never as the username it belongs to: each has a budget of its own', () => {
    expect(accountLimitNameOf('ALICE@example.COM', alice)).toBe('alice@example.com');
    expect(accountLimitNameOf('a@work.example', alice)).toBe('a@work.example');
    expect(new Set(['alice', 'alice@example.com', 'a@work.example'].map((login) => accountLimitNameOf(login, alice))).size).toBe(3);
  });

  it('counts an unknown name as itself, lower-cased, as a known one is counted: who owns what is not told', () => {
    expect(accountLimitNameOf('Bob@Example.com', null)).toBe('bob@example.com');
    expect(accountLimitNameOf('Nobody', null)).toBe('nobody');
    expect(accountLimitNameOf('alice@example.com', null)).toBe(accountLimitNameOf('alice@example.com', alice));
  });
});

describe('limitedAddressOf: what the per-address login limit counts an address as', () => {
  it.each([
    ['198.51.100.7', '198.51.100.7'],
    // How a dual-stack socket reports an IPv4 client, in both spellings: the IPv4 address itself.
    ['::ffff:198.51.100.7', '198.51.100.7'],
    ['::FFFF:c633:6407', '198.51.100.7'],
    // Every IPv6 address of one /64, however written, is one address.
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff:ffff:ffff:fffe', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:0:0:0:0', '2001:db8:1:2::/64'],
    ['2001:db8:1:3::1', '2001:db8:1:3::/64'],
    ['2001:db8::', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    // A dotted tail that is not IPv4-mapped stays IPv6.
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
    // A port or brackets a proxy wrote around the address are left out: each connection is not a budget of its own.
    ['198.51.100.7:5678', '198.51.100.7'],
    ['198.51.100.7:1', '198.51.100.7'],
    ['[2001:db8:1:2::1]:443', '2001:db8:1:2::/64'],
    ['[2001:db8:1:2::1]', '2001:db8:1:2::/64'],
    ['[::ffff:198.51.100.7]:80', '198.51.100.7'],
    // No address, or not one: as it is.
    ['', ''],
    ['unknown:80', 'unknown:80'],
    ['unknown', 'unknown'],
  ])('%s counts as %s', (address, counted) => {
    expect(limitedAddressOf(address)).toBe(counted);
  });

  it('gives one login attempt key to a /64 and to an IPv4 address and its mapped form', () => {
    expect(loginAttemptSubject('address', '2001:db8:1:2::1')).toBe(loginAttemptSubject('address', '2001:db8:1:2:aaaa:bbbb:cccc:dddd'));
    expect(loginAttemptSubject('address', '2001:db8:1:2::1')).not.toBe(loginAttemptSubject('address', '2001:db8:1:3::1'));
    expect(loginAttemptSubject('address', '::ffff:10.0.0.1')).toBe(loginAttemptSubject('address', '10.0.0.1'));
    expect(loginAttemptSubject('address', '10.0.0.1')).not.toBe(loginAttemptSubject('address', '10.0.0.2'));
  });
});

describe('isTokenLive and isTicketCurrent', () => {
  it('a login token authenticates up to its last millisecond', () => {
    const token = { when: new Date('2026-01-10T12:00:00.000Z'), hashedToken: 'h' };
    expect(isTokenLive(token, new Date('2026-04-10T12:00:00.000Z'), 90)).toBe(true);
    expect(isTokenLive(token, new Date('2026-04-10T12:00:00.001Z'), 90)).toBe(false);
  });
  it('a stream ticket is current strictly before it expires', () => {
    const ticket = { hashedTicket: 't', userId: 'u', hashedToken: 'h', expiresAt: new Date('2026-01-01T00:00:30.000Z') };
    expect(isTicketCurrent(ticket, new Date('2026-01-01T00:00:29.999Z'))).toBe(true);
    expect(isTicketCurrent(ticket, new Date('2026-01-01T00:00:30.000Z'))).toBe(false);
  });
});

describe('tokenAuthenticatesUntil: a token authenticates', () => {
  const when = new Date('2026-01-10T12:00:00.000Z');
  const lastMs = new Date('2026-04-10T12:00:00.000Z').getTime();
  const holder = (active: boolean) => ({ active, credentials: { loginTokens: [{ when, hashedToken: 'h' }, { when: new Date(0), hashedToken: 'pat', type: 'personalAccessToken' as const }] } });
  it('while the active user holds it and it has not expired: until its last millisecond', () => {
    expect(tokenAuthenticatesUntil(holder(true), 'h', new Date(lastMs), 90)).toBe(lastMs);
    expect(tokenAuthenticatesUntil(holder(true), 'h', new Date(lastMs + 1), 90)).toBeNull();
  });
  it('never for a token the user does not hold, nor for an inactive user', () => {
    expect(tokenAuthenticatesUntil(holder(true), 'other', when, 90)).toBeNull();
    expect(tokenAuthenticatesUntil(holder(false), 'h', when, 90)).toBeNull();
    expect(tokenAuthenticatesUntil({ active: true }, 'h', when, 90)).toBeNull();
  });
  it('forever for a personal access token of an active user', () => {
    expect(tokenAuthenticatesUntil(holder(true), 'pat', new Date('2030-01-01T00:00:00.000Z'), 90)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('who is an admin', () => {
  it('is whoever has the admin role', () => {
    expect(hasAdminRole(['user', 'admin'])).toBe(true);
    expect(hasAdminRole(['user', 'Admin', 'moderator'])).toBe(false);
    expect(isAdmin({ userId: 'u', username: 'u', roles: ['admin'], hashedToken: 'h' })).toBe(true);
  });
  it('counts among the admins who can log in only while active', () => {
    expect(isActiveAdmin({ active: true, roles: ['admin'] })).toBe(true);
    expect(isActiveAdmin({ active: false, roles: ['admin'] })).toBe(false);
    expect(isActiveAdmin({ active: true, roles: ['user'] })).toBe(false);
  });
});
