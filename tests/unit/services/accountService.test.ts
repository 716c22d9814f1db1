import { hashLoginToken } from '../../../src/domain/services/credentials';
import { InvalidCredentialsError, TooManyLoginAttemptsError, UnauthorizedError } from '../../../src/domain/errors';
import { ACCOUNT_OPTIONS, buildDomainServices, type DomainServices } from '../../support/domainServices';
import { TEST_PASSWORD, type SeededUser } from '../../support/testApp';
import type { LoginToken } from '../../../src/domain/ports/records';

const DAY_MS = 86_400_000;
const CLIENT = '203.0.113.7';

describe('AccountService (fake clock)', () => {
  let s: DomainServices;
  let ann: SeededUser;

  beforeEach(async () => {
    s = buildDomainServices();
    ann = await s.seedUser({ username: 'ann', emails: [{ address: 'ann@example.com', verified: true }] });
  });
  afterEach(() => s.close());

  const byUsername = (username: string, password: string) => ({ name: { kind: 'username' as const, value: username }, proof: { password } });

  /** The token's login revoked in the store, as another instance's logout does: this one's cache is not told. */
  async function revokedElsewhere(user: SeededUser): Promise<void> {
    await s.store.removeLoginToken(user.user.id, hashLoginToken(user.token));
  }

  it('logs in with the right password, by username or address, and gives a token that authenticates', async () => {
    const { user, token } = await s.accounts.login(byUsername('ANN', TEST_PASSWORD), CLIENT);
    expect(user).toMatchObject({ id: ann.user.id, lastLogin: s.clock.now() });
    expect(user.credentials).toBeUndefined();
    expect(await s.accounts.authenticate(token, ann.user.id)).toMatchObject({ userId: ann.user.id, username: 'ann', hashedToken: hashLoginToken(token) });
    const byAddress = await s.accounts.login({ name: { kind: 'email', value: 'Ann@Example.com' }, proof: { password: TEST_PASSWORD } }, CLIENT);
    expect(byAddress.token).not.toBe(token);
  });

  it('refuses a wrong password and an unknown user alike, and any login past the attempt limit, the right one too', async () => {
    await expect(s.accounts.login(byUsername('ann', 'wrong'), CLIENT)).rejects.toThrow(InvalidCredentialsError);
    await expect(s.accounts.login(byUsername('nobody', TEST_PASSWORD), CLIENT)).rejects.toThrow(InvalidCredentialsError);
    for (let attempt = 3; attempt <= ACCOUNT_OPTIONS.loginAttemptLimit; attempt += 1) {
      await expect(s.accounts.login(byUsername('ann', 'wrong'), CLIENT)).rejects.toThrow(InvalidCredentialsError);
    }
    await expect(s.accounts.login(byUsername('ann', TEST_PASSWORD), CLIENT)).rejects.toThrow(TooManyLoginAttemptsError);
    s.clock.advance(ACCOUNT_OPTIONS.loginAttemptWindowMs);
    await expect(s.accounts.login(byUsername('ann', TEST_PASSWORD), CLIENT)).resolves.toMatchObject({ user: { id: ann.user.id } });
  });

  it('refuses a token that is unknown, claimed for another user, or of a deactivated user', async () => {
    await expect(s.accounts.authenticate('not-a-token', undefined)).rejects.toThrow(UnauthorizedError);
    await expect(s.accounts.authenticate(ann.token, 'someone-else')).rejects.toThrow(UnauthorizedError);
    const gone = await s.seedUser({ active: false });
    await expect(s.accounts.authenticate(gone.token, undefined)).rejects.toThrow(UnauthorizedError);
  });

  it('stops authenticating a token once it has expired, cached or not', async () => {
    s.clock.advance(90 * DAY_MS - 1000);
    await s.accounts.authenticate(ann.token, undefined);
    s.clock.advance(1000);
    await expect(s.accounts.authenticate(ann.token, undefined)).resolves.toMatchObject({ userId: ann.user.id });
    s.clock.advance(1);
    await expect(s.accounts.authenticate(ann.token, undefined)).rejects.toThrow(UnauthorizedError);
    expect(await s.accounts.tokensLiveUntil([hashLoginToken(ann.token)])).toEqual(new Map());
  });

  it('keeps a verified token CACHE_MAX_AGE_MS: a revocation elsewhere bites once that has passed', async () => {
    await s.accounts.authenticate(ann.token, undefined);
    await revokedElsewhere(ann);
    s.clock.advance(ACCOUNT_OPTIONS.authCacheTtlMs - 1);
    await expect(s.accounts.authenticate(ann.token, undefined)).resolves.toMatchObject({ userId: ann.user.id });
    s.clock.advance(1);
    await expect(s.accounts.authenticate(ann.token, undefined)).rejects.toThrow(UnauthorizedError);
  });

  it('forgets a token at once when it logs out here, and a user\'s tokens when told to', async () => {
    const identity = await s.accounts.authenticate(ann.token, undefined);
    await s.accounts.logout(identity);
    await expect(s.accounts.authenticate(ann.token, undefined)).rejects.toThrow(UnauthorizedError);
    const bob = await s.seedUser();
    await s.accounts.authenticate(bob.token, undefined);
    await revokedElsewhere(bob);
    s.accounts.forgetUser(bob.user.id);
    await expect(s.accounts.authenticate(bob.token, undefined)).rejects.toThrow(UnauthorizedError);
  });

  it('tells which of many token hashes still authenticate, and until when, in one read', async () => {
    const bob = await s.seedUser();
    await revokedElsewhere(bob);
    const inactive = await s.seedUser({ active: false });
    // Rocket.Chat's personal access token: no `when`, and it does not expire.
    const pat = { hashedToken: 'pat-hash', type: 'personalAccessToken' } as LoginToken;
    await s.store.addLoginToken(ann.user.id, pat, s.clock.now(), []);
    const hashes = [hashLoginToken(ann.token), hashLoginToken(bob.token), hashLoginToken(inactive.token), 'pat-hash', hashLoginToken('unknown')];
    const annUntilMs = s.clock.now().getTime() + 90 * DAY_MS;
    expect(await s.accounts.tokensLiveUntil(hashes)).toEqual(new Map([[hashLoginToken(ann.token), annUntilMs], ['pat-hash', Number.POSITIVE_INFINITY]]));
    // Past the login tokens' lifetime only the personal access token is left.
    s.clock.advance(91 * DAY_MS);
    expect(await s.accounts.tokensLiveUntil(hashes)).toEqual(new Map([['pat-hash', Number.POSITIVE_INFINITY]]));
  });

  it('tells whether an active user still holds every one of many tokens, whatever their lifetime', async () => {
    const bob = await s.seedUser();
    const annHash = hashLoginToken(ann.token);
    expect(await s.accounts.tokensStillHeld([annHash, hashLoginToken(bob.token), annHash])).toBe(true);
    // Lifetimes are the caller's to know: a count only says who holds what.
    s.clock.advance(91 * DAY_MS);
    expect(await s.accounts.tokensStillHeld([annHash])).toBe(true);
    await revokedElsewhere(bob);
    expect(await s.accounts.tokensStillHeld([annHash, hashLoginToken(bob.token)])).toBe(false);
    const inactive = await s.seedUser({ active: false });
    expect(await s.accounts.tokensStillHeld([hashLoginToken(inactive.token)])).toBe(false);
  });
});
