import type { AccountStore } from '../ports/accountStore';
import type { Clock } from '../ports/clock';
import { InvalidUsernameError, UnknownUserError } from '../errors';
import { newGeneratedPassword } from './credentials';
import { USERNAME_FORMAT } from '../rules/newUsers';
import { hasAdminRole } from '../rules/accounts';
import type { AccountService } from './accountService';
import { writeAccount, type PasswordHashing } from './userAdministration';

/**
 * The way back in for an operator locked out (`npm run admin`, run on the server): a new password for a user, or an
 * active admin made of a user (created when missing). Each ends every login token of the user: whoever held the old
 * password is out. The new password is returned once, to be shown once; it is stored only as its hash.
 */
export class AccountRecovery {
  constructor(
    private readonly store: AccountStore,
    private readonly clock: Clock,
    private readonly accounts: AccountService,
    private readonly passwords: PasswordHashing,
  ) {}

  /** @throws UnknownUserError when nobody has that username */
  async resetPassword(username: string): Promise<{ password: string; endedTokens: number }> {
    const user = await this.store.findUserByUsername(username);
    if (user === null) throw new UnknownUserError();
    const password = newGeneratedPassword();
    const passwordHash = await this.passwords.hashPassword(password);
    await writeAccount(this.store, this.clock, user.id, () => ({ passwordHash }));
    const ended = await this.store.removeLoginTokens(user.id, { keepPersonalAccessTokens: false });
    return { password, endedTokens: ended.length };
  }

  /**
   * A new admin named `username`, or the user of that name made an active admin with a new password.
   * @throws InvalidUsernameError for a username Rocket.Chat would not take
   */
  async createAdmin(username: string): Promise<{ password: string; created: boolean; endedTokens: number }> {
    if (!USERNAME_FORMAT.test(username)) throw new InvalidUsernameError(username);
    if ((await this.store.findUserByUsername(username)) === null) {
      const { created, generatedPassword } = await this.accounts.ensureAdmin(username, undefined);
      if (created && generatedPassword !== undefined) return { password: generatedPassword, created: true, endedTokens: 0 };
    }
    const user = await this.store.findUserByUsername(username);
    if (user === null) throw new UnknownUserError();
    const password = newGeneratedPassword();
    const passwordHash = await this.passwords.hashPassword(password);
    await writeAccount(this.store, this.clock, user.id, (current) => ({
      passwordHash,
      active: true,
      roles: hasAdminRole(current.roles) ? current.roles : [...current.roles, 'admin'],
    }));
    const ended = await this.store.removeLoginTokens(user.id, { keepPersonalAccessTokens: false });
    return { password, created: false, endedTokens: ended.length };
  }
}
