import { foldedLogin, isNamedBy, isPasswordDigest, loginNameOfUserString } from '../../../src/domain/rules/logins';

describe('login names (Rocket.Chat’s loginCompatibility and Meteor’s user selector)', () => {
  it('reads a string `user` as an e-mail address when it holds an "@", else as a username', () => {
    expect(loginNameOfUserString('alice')).toEqual({ kind: 'username', value: 'alice' });
    expect(loginNameOfUserString('alice@example.com')).toEqual({ kind: 'email', value: 'alice@example.com' });
    expect(loginNameOfUserString('rocketchat.internal.admin.test@rocket.chat')).toEqual({ kind: 'email', value: 'rocketchat.internal.admin.test@rocket.chat' });
  });

  const alice = { id: 'A1', username: 'Alice', emails: [{ address: 'alice@example.com', verified: true }] };

  it.each([
    [{ kind: 'username', value: 'alice' }, true],
    [{ kind: 'username', value: 'ALICE' }, true],
    [{ kind: 'username', value: 'alice@example.com' }, false],
    [{ kind: 'email', value: 'Alice@Example.com' }, true],
    [{ kind: 'email', value: 'alice' }, false],
    [{ kind: 'id', value: 'A1' }, true],
    [{ kind: 'id', value: 'a1' }, false],
  ] as const)('%j names Alice: %s', (name, expected) => {
    expect(isNamedBy(alice, name)).toBe(expected);
  });

  it('names nobody by address when the user has none', () => {
    expect(isNamedBy({ id: 'B1', username: 'bob' }, { kind: 'email', value: 'bob@example.com' })).toBe(false);
  });
});

describe('foldedLogin: a username or address as compared', () => {
  it.each([
    ['Admin', 'admin'],
    ['ANN@Example.COM', 'ann@example.com'],
    ['ÜNÏCÖDÉ', 'ünïcödé'],
    ['Ωμέγα', 'ωμέγα'],
  ])('folds %s to %s', (name, folded) => expect(foldedLogin(name)).toBe(folded));
  it('keeps accents: résumé is not resume', () => expect(foldedLogin('Résumé')).not.toBe(foldedLogin('resume')));
  it('folds names that differ only in case to the same key', () => expect(foldedLogin('René.Dupont')).toBe(foldedLogin('rené.DUPONT')));
});

describe('hashed passwords (Meteor’s {digest, algorithm: "sha-256"})', () => {
  it('takes 64 hexadecimal digits, in either case', () => {
    expect(isPasswordDigest('a'.repeat(64))).toBe(true);
    expect(isPasswordDigest('0123456789ABCDEFabcdef'.padEnd(64, '0'))).toBe(true);
  });
  it.each(['', 'a'.repeat(63), 'a'.repeat(65), 'g'.repeat(64), ' '.repeat(64)])('refuses %j', (digest) => {
    expect(isPasswordDigest(digest)).toBe(false);
  });
});
