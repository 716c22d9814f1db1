import { Schema } from 'mongoose';

/** Compares strings regardless of letter case (and indexes them so): Rocket.Chat's own username_insensitive. */
export const CASE_INSENSITIVE = { locale: 'en', strength: 2 } as const;

/**
 * Rocket.Chat's `users` document shape, plus the presence fields this service adds. Every query MongoStore runs
 * is served by an index declared here (or by Rocket.Chat's own on the same keys); docs/storage.md lists query by query.
 */
export const userSchema = new Schema(
  {
    _id: { type: String, required: true },
    username: { type: String, required: true },
    name: String,
    // No default: a user without an email has no `emails` field, as in Rocket.Chat, and stays out of its index.
    emails: { type: [{ _id: false, address: String, verified: Boolean }], default: undefined },
    utcOffset: Number,
    active: Boolean,
    roles: { type: [String], default: undefined },
    status: String,
    statusText: String,
    statusDefault: String,
    statusConnection: String,
    statusExpiresAt: Date,
    presenceText: String,
    presenceExpiresAt: Date,
    presenceChangedAt: Date,
    presenceRevision: Number,
    presenceSeen: { type: { _id: false, status: String, statusText: String, statusDefault: String, statusConnection: String }, default: undefined },
    lastSeenAt: Date,
    lastLogin: Date,
    avatarETag: String,
    // Rocket.Chat's own fields, kept as users.create gives them.
    requirePasswordChange: Boolean,
    customFields: { type: Schema.Types.Mixed, default: undefined },
    createdAt: Date,
    _updatedAt: Date,
    services: {
      password: { bcrypt: String },
      resume: { loginTokens: [{ _id: false, when: Date, hashedToken: String }] },
    },
  },
  { collection: 'users', versionKey: false, strict: false, strictQuery: true },
);
// The four below have exactly the keys and options Rocket.Chat (Meteor's accounts package, its Users model) gives
// them, so pointing MONGODB_URI at a Rocket.Chat database finds them already there: creating them again is a no-op.
// Login by username, and uniqueness.
userSchema.index({ username: 1 }, { unique: true, sparse: true });
// Login by email, and uniqueness among users that have one.
userSchema.index({ 'emails.address': 1 }, { unique: true, sparse: true });
// Authentication by the token hash.
userSchema.index({ 'services.resume.loginTokens.hashedToken': 1 }, { unique: true, sparse: true });
// Usernames in any letter case, unique regardless of case where this service creates the index (Rocket.Chat's own,
// when there, is not unique: then creation checks before it inserts).
userSchema.index({ username: 1 }, { name: 'username_insensitive', unique: true, sparse: true, collation: CASE_INSENSITIVE });
// The service's own: login by address in any letter case (addresses are kept as given, as Rocket.Chat keeps them).
// Not unique: a Rocket.Chat database may hold addresses that differ only in case; creation checks before it inserts.
userSchema.index({ 'emails.address': 1 }, { name: 'emails_address_insensitive', sparse: true, collation: CASE_INSENSITIVE });
// The service's own: the present list (expires after now) and the expiries inside a delta window.
userSchema.index({ presenceExpiresAt: 1 }, { sparse: true });
// The service's own: the changes inside a delta window, and the feed's reads.
userSchema.index({ presenceChangedAt: 1 }, { sparse: true });
// The service's own: present users without an expiry of this service's (Rocket.Chat's presence), and Rocket.Chat
// 6's writes, found by status.
userSchema.index({ status: 1, presenceExpiresAt: 1 });
// The service's own: the users whose status differs from the one recorded (Rocket.Chat 6 wrote it without touching
// _updatedAt), and those present never recorded; then those whose connection status differs from the one recorded.
userSchema.index({ status: 1, 'presenceSeen.status': 1 });
userSchema.index({ statusConnection: 1, 'presenceSeen.statusConnection': 1, 'presenceSeen.status': 1 });
// The service's own: timed statuses that have ended, found by each instance's rounds.
userSchema.index({ statusExpiresAt: 1 }, { sparse: true });
// The active admins counted (the last one is kept): Rocket.Chat's own index on roles, with its options, so beside
// Rocket.Chat none is added (admins are few; `active` is checked on the documents the index finds).
userSchema.index({ roles: 1 }, { sparse: true });
// The service's own: what Rocket.Chat 7 wrote since a read (its model bumps _updatedAt on every write).
userSchema.index({ _updatedAt: 1 });

/**
 * Stream tickets: a few seconds' life each. Expired ones are deleted as new ones are saved (through this index), and
 * by MongoDB's TTL monitor (every minute) when none are.
 */
export const streamTicketSchema = new Schema(
  { _id: { type: String, required: true }, userId: String, hashedToken: String, expiresAt: Date },
  { collection: 'presence_stream_tickets', versionKey: false, strictQuery: true },
);
streamTicketSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });

/** Login attempts per key and window, shared by every instance; TTL-deleted once their window has ended. */
export const loginAttemptSchema = new Schema(
  { _id: { type: String, required: true }, count: Number, resetAt: Date },
  { collection: 'presence_login_attempts', versionKey: false, strictQuery: true },
);
loginAttemptSchema.index({ resetAt: 1 }, { expireAfterSeconds: 0 });

/**
 * Connections (issue 20): each place a user is present. No TTL index: a lapsed connection is removed by an instance's
 * reaper, which then computes its user's status again.
 */
export const connectionSchema = new Schema(
  {
    _id: { type: String, required: true },
    userId: String,
    hashedToken: String,
    kind: String,
    state: String,
    instanceId: String,
    clientRenewed: Boolean,
    expiresAt: Date,
    createdAt: Date,
  },
  { collection: 'presence_connections', versionKey: false, strictQuery: true },
);
// A user's connections (their status), a token's (heartbeats, logout), the lapsed ones (the reaper).
connectionSchema.index({ userId: 1 });
connectionSchema.index({ hashedToken: 1 });
connectionSchema.index({ expiresAt: 1 });
// An instance's streams: its bulk renewal, and their removal once it is dead.
connectionSchema.index({ instanceId: 1, clientRenewed: 1, expiresAt: 1 });

/** Each instance's liveness record: while it is renewed, the instance holds its streams. */
export const instanceSchema = new Schema(
  { _id: { type: String, required: true }, expiresAt: Date },
  { collection: 'presence_instances', versionKey: false, strictQuery: true },
);
instanceSchema.index({ expiresAt: 1 });

/**
 * Removed users, remembered while a delta or a resumed stream may still ask for changes from before they went; the
 * TTL monitor forgets them (and each removal deletes those forgotten by then, through the same index).
 */
export const removedUserSchema = new Schema(
  { _id: { type: String, required: true }, username: String, name: String, utcOffset: Number, removedAt: Date, forgetAt: Date },
  { collection: 'presence_removed_users', versionKey: false, strictQuery: true },
);
removedUserSchema.index({ removedAt: 1 });
removedUserSchema.index({ forgetAt: 1 }, { expireAfterSeconds: 0 });
