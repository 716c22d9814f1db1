import { DEFAULT_ROLES, isEmailAddress, isReservedUsername, isUsername, KNOWN_ROLES, unknownRoles, USERNAME_MAX_LENGTH } from '../../../src/domain/rules/newUsers';
import { DEFAULT_USER_PREFERENCES } from '../../../src/domain/rules/preferences';

describe('a new user’s roles', () => {
  it('knows Rocket.Chat’s installed roles, the default one among them', () => {
    expect(unknownRoles(['admin', 'user', 'bot', 'guest', 'app', 'anonymous', 'moderator', 'owner', 'leader', 'livechat-agent', 'livechat-manager', 'livechat-monitor'])).toEqual([]);
    expect(DEFAULT_ROLES.every((role) => (KNOWN_ROLES as readonly string[]).includes(role))).toBe(true);
  });
  it('names the unknown ones, letter case included', () => {
    expect(unknownRoles(['user', 'superuser', 'Admin', ''])).toEqual(['superuser', 'Admin', '']);
  });
});

describe('reserved usernames (Rocket.Chat’s Accounts_SystemBlockedUsernameList)', () => {
  it.each(['admin', 'administrator', 'system', 'user', 'Admin', 'SYSTEM'])('reserves %s', (username) => {
    expect(isReservedUsername(username)).toBe(true);
  });
  it.each(['admin2', 'users', 'rocket.cat', 'sys'])('leaves %s free', (username) => {
    expect(isReservedUsername(username)).toBe(false);
  });
});

describe('e-mail addresses (Rocket.Chat’s basic check)', () => {
  it.each(['a@b', 'apiuser.test@rocket.chat-1765065600000', 'customField_apiuser.test@rocket.chat-1', 'x y@z', 'name+tag@example.com'])('accepts %j', (address) => {
    expect(isEmailAddress(address)).toBe(true);
  });
  it.each(['', 'plain', '@b', 'a@', 'a@b@c'])('refuses %j', (address) => {
    expect(isEmailAddress(address)).toBe(false);
  });
});

describe('default preferences', () => {
  it('cannot be changed by a caller', () => {
    expect(Object.isFrozen(DEFAULT_USER_PREFERENCES)).toBe(true);
    expect(Object.isFrozen(DEFAULT_USER_PREFERENCES.sidebarSectionsOrder)).toBe(true);
  });
});

describe('isUsername: the username pattern, one home for configuration and users.create', () => {
  it.each(['alice', 'rocket.cat', 'a-b_c.9', 'x'.repeat(USERNAME_MAX_LENGTH)])('takes %s', (name) => expect(isUsername(name)).toBe(true));
  it.each(['', 'al ice', 'alice@example.com', 'élodie', 'x'.repeat(USERNAME_MAX_LENGTH + 1)])('refuses %p', (name) => expect(isUsername(name)).toBe(false));
});
