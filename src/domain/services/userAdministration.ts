import { DuplicateUserError } from '../ports/store';
import type { AccountStore } from '../ports/accountStore';
import type { AccountUpdate, UserRecord } from '../ports/records';
import type { Clock } from '../ports/clock';
import { ActionNotAllowedError, FieldUnavailableError, ForbiddenError, InvalidEmailError, InvalidUsernameError, ReservedUsernameError, UnknownRoleError, UnknownUserError, UserParamMissingError, WriteContentionError } from '../errors';
import { isActiveAdmin, isAdmin, loginTokenExpiresAtMs, type Identity } from '../rules/accounts';
import { emailsAfterUpdate, isLastActiveAdmin, pageOf, removalForgetAt, removalStamp } from '../rules/accountAdministration';
import { USERNAME_FORMAT, isEmailAddress, isReservedUsername, unknownRoles } from '../rules/newUsers';
import { changeStampAfterWrite } from '../rules/changes';
import { rocketChatPresenceOf } from '../rules/rocketChatPresence';
import type { AccountService } from './accountService';
import type { ConnectionService } from './connectionService';
import type { PresenceService } from './presenceService';
import type { Passwords } from './passwords';

/** A write decided from what it replaces lands on that or is decided again, at most this many times. */
const MAX_WRITE_ATTEMPTS = 8;

/** What users.update may change (Rocket.Chat's fields this service keeps). */
export interface AccountChanges {
  name?: string;
  username?: string;
  email?: string;
  /** Whether the new email is verified (Rocket.Chat's `verified`); false unless said. */
  emailVerified?: boolean;
  password?: string;
  roles?: string[];
  active?: boolean;
}

/** Whom a call names: Rocket.Chat's getUserFromParams (`userId` first, then `username`). */
export type UserSelector = { userId?: string; username?: string };

/** How the streams this instance holds are ended (PresenceStreams). */
export interface StreamClosing {
  closeUser(userId: string): void;
  closeToken(hashedToken: string): void;
}

/** What administration needs of the password rules: a new password's stored hash (bcrypt, off the event loop). */
export type PasswordHashing = Pick<Passwords, 'hashPassword'>;

export interface AdministrationOptions {
  /** How far back a delta or a resumed stream can ask for changes: a removal is remembered that long. */
  readableBackMs: number;
  loginExpirationDays: number;
}

/** Rocket.Chat's refusal of anything that would leave no active admin. */
const LAST_ADMIN = (): ActionNotAllowedError => new ActionNotAllowedError('leave-without-admins');
/** Rocket.Chat's answer when the route's own permission check fails (`API.v1.unauthorized()`: 403). */
const NOT_PERMITTED = (): ForbiddenError => new ForbiddenError('administer-users');

/**
 * Writes an account change decided from the user as read: at that version, or decided again from the user as it is
 * now. `decide` may throw to refuse. Returns the written user, and the one it replaced.
 * @throws UnknownUserError, FieldUnavailableError (a username or email another user holds), WriteContentionError
 */
export async function writeAccount(
  store: AccountStore,
  clock: Clock,
  userId: string,
  decide: (current: UserRecord, now: Date) => Promise<Omit<AccountUpdate, 'presenceChangedAt' | 'updatedAt'>> | Omit<AccountUpdate, 'presenceChangedAt' | 'updatedAt'>,
): Promise<{ before: UserRecord; after: UserRecord }> {
  for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
    const current = await store.findUserById(userId);
    if (current === null) throw new UnknownUserError();
    const now = clock.now();
    const fields = await decide(current, now);
    const { passwordHash: _hash, ...shown } = fields;
    // A deactivation (offline from now on), or a new name of a user shown present, is a change clients must see.
    const presenceChangedAt = changeStampAfterWrite(current, { ...current, ...shown }, now);
    try {
      const written = await store.updateAccount(userId, { presenceRevision: current.presenceRevision, rocketChat: rocketChatPresenceOf(current) }, { ...fields, presenceChangedAt, updatedAt: now });
      if (written !== null) return { before: current, after: written };
    } catch (error) {
      if (!(error instanceof DuplicateUserError)) throw error;
      const taken = error.field === 'email' ? fields.emails?.[0]?.address : fields.username;
      throw new FieldUnavailableError(taken);
    }
  }
  throw new WriteContentionError();
}

/**
 * Rocket.Chat's account management: users.list, users.info, users.update, users.setActiveStatus, users.delete and
 * ending one's other sessions. Rocket.Chat's permissions are the admin role's here. A deactivated or removed user's
 * login tokens end at once, with their streams and connections: here at once, on other instances within
 * STREAM_REVALIDATE_MS (streams) and CACHE_MAX_AGE_MS (verified tokens).
 */
export class UserAdministration {
  constructor(
    private readonly store: AccountStore,
    private readonly clock: Clock,
    private readonly accounts: AccountService,
    private readonly presence: PresenceService,
    private readonly connections: ConnectionService,
    private readonly streams: StreamClosing,
    private readonly passwords: PasswordHashing,
    private readonly options: AdministrationOptions,
  ) {}

  /** users.list: a page in username order, and how many users there are. */
  async list(offset: number | undefined, count: number | undefined): Promise<{ users: UserRecord[]; offset: number; total: number }> {
    const page = pageOf(offset, count);
    const { users, total } = await this.store.listUsers(page.offset, page.count);
    return { users, offset: page.offset, total };
  }

  /** users.info: null when nobody has that id or username. */
  async find(selector: UserSelector): Promise<UserRecord | null> {
    if (selector.userId !== undefined && selector.userId !== '') return this.store.findUserById(selector.userId);
    return this.store.findUserByUsername(selector.username ?? '');
  }

  /**
   * users.update. An admin changes anyone; anyone else only his own name and username. A password, an address or
   * its verification is an admin's to change here: with nothing but a login token, whoever stole one could take
   * the account for good (Rocket.Chat's own way, users.updateOwnBasicInfo, asks for the current password and is not
   * served). A new password, or a deactivation, ends the user's login tokens (but the caller's own), as
   * Rocket.Chat's does.
   */
  async update(actor: Identity, userId: string, changes: AccountChanges): Promise<UserRecord> {
    const admin = isAdmin(actor);
    const adminsOnly = changes.roles !== undefined || changes.active !== undefined || changes.password !== undefined || changes.email !== undefined || changes.emailVerified !== undefined;
    if (!admin && (userId !== actor.userId || adminsOnly)) {
      throw new ActionNotAllowedError('edit-user');
    }
    // users.create's checks, in its order: roles, the username, the address.
    const unknown = unknownRoles(changes.roles ?? []);
    if (unknown.length > 0) throw new UnknownRoleError(unknown);
    if (changes.username !== undefined && !USERNAME_FORMAT.test(changes.username)) {
      throw new InvalidUsernameError(changes.username);
    }
    if (changes.username !== undefined && isReservedUsername(changes.username)) throw new ReservedUsernameError(changes.username);
    if (changes.email !== undefined && !isEmailAddress(changes.email)) throw new InvalidEmailError(changes.email);
    const passwordHash = changes.password === undefined ? undefined : await this.passwords.hashPassword(changes.password);
    const { after } = await writeAccount(this.store, this.clock, userId, async (current) => {
      const stillAdmin = isActiveAdmin({ active: changes.active ?? current.active, roles: changes.roles ?? current.roles });
      if (!stillAdmin && isLastActiveAdmin(current, await this.store.countActiveAdmins())) throw LAST_ADMIN();
      const emails = emailsAfterUpdate(current, changes.email, changes.emailVerified);
      return {
        ...(changes.name === undefined ? {} : { name: changes.name }),
        ...(changes.username === undefined ? {} : { username: changes.username }),
        ...(emails === undefined ? {} : { emails }),
        ...(changes.roles === undefined ? {} : { roles: [...new Set(changes.roles)] }),
        ...(changes.active === undefined ? {} : { active: changes.active }),
        ...(passwordHash === undefined ? {} : { passwordHash }),
      };
    });
    if (changes.active === false) await this.endSessions(userId);
    else if (passwordHash !== undefined) await this.endTokens(userId, userId === actor.userId ? actor.hashedToken : undefined);
    // Verified tokens here carry the username and roles: they are read again.
    this.accounts.forgetUser(userId);
    this.presence.changedLocally();
    return after;
  }

  /** users.setActiveStatus (admin): Rocket.Chat's answer is the user's id and `active`. */
  async setActive(actor: Identity, userId: string, active: boolean): Promise<UserRecord> {
    if (!isAdmin(actor)) throw NOT_PERMITTED();
    return this.update(actor, userId, { active });
  }

  /**
   * users.delete (admin): the user goes, with his credentials and connections, and reaches deltas and streams as
   * one last change to offline (removedUserRecord). The last active admin stays.
   */
  async remove(actor: Identity, selector: UserSelector): Promise<void> {
    if (!isAdmin(actor)) throw NOT_PERMITTED();
    const user = await this.userNamed(selector);
    if (isLastActiveAdmin(user, await this.store.countActiveAdmins())) throw LAST_ADMIN();
    const removedAt = removalStamp(user, this.clock.now());
    await this.store.removeUser({
      userId: user.id,
      username: user.username,
      name: user.name,
      utcOffset: user.utcOffset,
      removedAt,
      forgetAt: removalForgetAt(removedAt, this.options.readableBackMs),
    });
    this.accounts.forgetUser(user.id);
    // Its connections went with it: closing its streams here ends nothing more.
    this.streams.closeUser(user.id);
    this.presence.changedLocally();
  }

  /** users.removeOtherTokens: every login token of the caller's but the one used (his personal access tokens stay). */
  async removeOtherTokens(identity: Identity): Promise<void> {
    await this.endTokens(identity.userId, identity.hashedToken);
  }

  /** users.logoutOtherClients: as removeOtherTokens, and when the token used stops working. */
  async logoutOtherClients(identity: Identity): Promise<{ tokenExpires: Date | undefined }> {
    await this.endTokens(identity.userId, identity.hashedToken);
    const user = await this.store.findUserByHashedToken(identity.hashedToken);
    const token = user?.credentials?.loginTokens?.find((each) => each.hashedToken === identity.hashedToken);
    if (token?.when === undefined) return { tokenExpires: undefined };
    return { tokenExpires: new Date(loginTokenExpiresAtMs(new Date(token.when), this.options.loginExpirationDays)) };
  }

  /** Rocket.Chat's getUserFromParams. */
  private async userNamed(selector: UserSelector): Promise<UserRecord> {
    const userId = selector.userId?.trim();
    const username = selector.username?.trim();
    let user: UserRecord | null;
    if (userId !== undefined && userId !== '') user = await this.store.findUserById(selector.userId as string);
    else if (username !== undefined && username !== '') user = await this.store.findUserByUsername(selector.username as string);
    else throw new UserParamMissingError();
    if (user === null) throw new UnknownUserError();
    return user;
  }

  /** Ends the user's login tokens but `keep` (and his personal access tokens), their streams and connections. */
  private async endTokens(userId: string, keep: string | undefined): Promise<void> {
    const ended = await this.store.removeLoginTokens(userId, { keep, keepPersonalAccessTokens: true });
    this.accounts.forgetUser(userId);
    for (const hashedToken of ended) {
      this.streams.closeToken(hashedToken);
      await this.connections.loggedOut(hashedToken);
    }
  }

  /** A deactivation: every token of the user's (personal access tokens too), every stream and connection. */
  private async endSessions(userId: string): Promise<void> {
    await this.store.removeLoginTokens(userId, { keepPersonalAccessTokens: false });
    this.accounts.forgetUser(userId);
    this.streams.closeUser(userId);
    await this.connections.userEnded(userId);
  }
}
