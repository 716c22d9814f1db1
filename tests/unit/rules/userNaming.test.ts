import { namesCaller, referencedUser } from '../../../src/domain/rules/userNaming';

const caller = { userId: 'ME1', username: 'me' };

describe('naming a user (Rocket.Chat’s isUserFromParams and getUserFromParams)', () => {
  it.each([
    [{}, null],
    [{ userId: '', username: '  ', user: '' }, null],
    [{ userId: 'U1' }, { by: 'id', value: 'U1' }],
    [{ username: 'bob' }, { by: 'username', value: 'bob' }],
    [{ user: 'bob' }, { by: 'username', value: 'bob' }],
    [{ userId: 'U1', username: 'bob', user: 'carol' }, { by: 'id', value: 'U1' }],
    [{ userId: '', username: 'bob', user: 'carol' }, { by: 'username', value: 'bob' }],
    [{ username: '', user: 'carol' }, { by: 'username', value: 'carol' }],
  ])('%j names %j', (reference, expected) => {
    expect(referencedUser(reference)).toEqual(expected);
  });

  it.each([
    [{}, true],
    [{ userId: '' }, true],
    [{ userId: 'ME1' }, true],
    [{ username: 'me' }, true],
    [{ user: 'me' }, true],
    // Any of the three naming the caller is the caller, as in Rocket.Chat.
    [{ userId: 'U1', username: 'me' }, true],
    [{ userId: 'U1' }, false],
    [{ username: 'bob' }, false],
    [{ user: 'bob' }, false],
    // Rocket.Chat compares the username as given.
    [{ username: 'ME' }, false],
  ])('%j names the caller: %s', (reference, expected) => {
    expect(namesCaller(reference, caller)).toBe(expected);
  });
});
