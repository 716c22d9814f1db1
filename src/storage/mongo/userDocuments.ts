import type { Credentials, LoginToken, TokenHolder, UserRecord } from '../../domain/ports/records';

/**
 * A user as Rocket.Chat's `users` collection holds him: `_id`, `_updatedAt`, credentials under `services`, and the
 * presence fields this service adds beside Rocket.Chat's. A document written by Rocket.Chat may lack any field but
 * these two; toUserRecord fills them in.
 */
export type UserDocument = Partial<Omit<UserRecord, 'id' | 'updatedAt' | 'credentials'>> & {
  _id: string;
  username: string;
  _updatedAt?: Date;
  services?: {
    password?: { bcrypt: string };
    resume?: { loginTokens: LoginToken[] };
  };
};

/** Where Rocket.Chat keeps a user's login tokens and his password hash, as document paths for queries and updates. */
export const LOGIN_TOKENS_PATH = 'services.resume.loginTokens';
export const PASSWORD_HASH_PATH = 'services.password.bcrypt';
/** Rocket.Chat's "last modified" field, the domain's `updatedAt`. */
export const UPDATED_AT_PATH = '_updatedAt';

/**
 * The fields of a UserRecord, and only those: a Rocket.Chat document holds many more (settings, rooms, its other
 * services), which no finder hands out, so every finder answers the same fields as the embedded store. An
 * inclusion projection, so every field is named (`_id` comes with it).
 */
const RECORD_FIELDS = Object.fromEntries(
  [
    'username', 'name', 'emails', 'utcOffset', 'active', 'roles', 'status', 'statusText', 'statusDefault', 'statusConnection', 'statusExpiresAt',
    'presenceText', 'presenceExpiresAt', 'presenceChangedAt', 'presenceRevision', 'presenceSeen', 'lastSeenAt', 'lastLogin',
    'avatarETag', 'requirePasswordChange', 'customFields', 'createdAt', UPDATED_AT_PATH,
  ].map((field) => [field, 1]),
);

/** Reads that authenticate, list or write presence never need credentials: leave them in the database. */
export const WITHOUT_CREDENTIALS = RECORD_FIELDS;

/** A login token as the port knows it: a token of Rocket.Chat's (a personal access token's name, its last part) keeps the rest. */
export const LOGIN_TOKEN_FIELDS = Object.fromEntries(['when', 'hashedToken', 'type'].map((field) => [`${LOGIN_TOKENS_PATH}.${field}`, 1]));

/** What deciding whether a user's tokens authenticate reads (TokenHolder): whether the user is active, and the tokens. */
export const TOKEN_HOLDER_FIELDS = { active: 1, ...LOGIN_TOKEN_FIELDS };

/** A user with its login tokens and no password hash. */
export const WITH_LOGIN_TOKENS = { ...RECORD_FIELDS, ...LOGIN_TOKEN_FIELDS };

/** A user with what a login checks: the password hash and the login tokens; none of Rocket.Chat's other services. */
export const WITH_LOGIN_CREDENTIALS = { ...WITH_LOGIN_TOKENS, [PASSWORD_HASH_PATH]: 1 };

/** The credentials a document's `services` hold, as the domain names them. */
function credentialsOf(services: NonNullable<UserDocument['services']>): Credentials {
  const credentials: Credentials = {};
  if (services.password?.bcrypt !== undefined) credentials.passwordHash = services.password.bcrypt;
  if (services.resume?.loginTokens !== undefined) credentials.loginTokens = services.resume.loginTokens;
  return credentials;
}

/** The login tokens a document holds (none when it has no `services.resume`). */
export function loginTokensOf(doc: Pick<UserDocument, 'services'> | null): LoginToken[] {
  return doc?.services?.resume?.loginTokens ?? [];
}

/** Fills the fields a document written by Rocket.Chat may lack, so the domain always sees a whole record. */
export function toUserRecord(doc: UserDocument | null): UserRecord | null {
  if (doc === null) return null;
  const { _id, _updatedAt, services, ...fields } = doc;
  return {
    ...fields,
    id: _id,
    name: doc.name ?? doc.username,
    utcOffset: doc.utcOffset ?? 0,
    // Rocket.Chat refuses a user not marked active; so does this service.
    active: doc.active === true,
    roles: doc.roles ?? ['user'],
    status: doc.status ?? 'offline',
    statusText: doc.statusText ?? '',
    presenceText: doc.presenceText ?? null,
    presenceExpiresAt: doc.presenceExpiresAt ?? null,
    presenceChangedAt: doc.presenceChangedAt ?? null,
    presenceRevision: doc.presenceRevision ?? 0,
    lastSeenAt: doc.lastSeenAt ?? null,
    createdAt: doc.createdAt ?? new Date(0),
    ...(_updatedAt === undefined ? {} : { updatedAt: _updatedAt }),
    ...(services === undefined ? {} : { credentials: credentialsOf(services) }),
  };
}

export function toUserRecords(docs: UserDocument[]): UserRecord[] {
  return docs.map((doc) => toUserRecord(doc) as UserRecord);
}

/** The user with only those of its login tokens whose hashes are wanted. */
export function withMatchingTokens(doc: UserDocument, hashedTokens: ReadonlySet<string>): UserRecord {
  const loginTokens = loginTokensOf(doc).filter((token) => hashedTokens.has(token.hashedToken));
  return toUserRecord({ ...doc, services: { resume: { loginTokens } } }) as UserRecord;
}

/** A document read with TOKEN_HOLDER_FIELDS as the holder of those of its tokens whose hashes are wanted. */
export function toTokenHolder(doc: Pick<UserDocument, '_id' | 'active' | 'services'>, hashedTokens: ReadonlySet<string>): TokenHolder {
  return {
    id: doc._id,
    // As toUserRecord reads it: Rocket.Chat refuses a user not marked active.
    active: doc.active === true,
    credentials: { loginTokens: loginTokensOf(doc).filter((token) => hashedTokens.has(token.hashedToken)) },
  };
}

/** A new user's document, in Rocket.Chat's shape: what Rocket.Chat itself would read. */
export function toUserDocument(user: UserRecord): UserDocument {
  const { id, updatedAt, credentials, ...fields } = user;
  const doc: UserDocument = { _id: id, ...fields };
  if (updatedAt !== undefined) doc._updatedAt = updatedAt;
  if (credentials !== undefined) {
    doc.services = {
      ...(credentials.passwordHash === undefined ? {} : { password: { bcrypt: credentials.passwordHash } }),
      ...(credentials.loginTokens === undefined ? {} : { resume: { loginTokens: credentials.loginTokens } }),
    };
  }
  return doc;
}
