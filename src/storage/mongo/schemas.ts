import { Schema } from 'mongoose';

/**
 * Rocket.Chat's `users` document shape, plus the presence fields this service adds. Every query MongoStore runs
 * is served by an index declared here; docs/storage.md lists query by query.
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
    presenceText: String,
    presenceExpiresAt: Date,
    presenceChangedAt: Date,
    presenceRevision: Number,
    lastSeenAt: Date,
    lastLogin: Date,
    avatarETag: String,
    createdAt: Date,
    _updatedAt: Date,
    services: {
      password: { bcrypt: String },
      resume: { loginTokens: [{ _id: false, when: Date, hashedToken: String }] },
    },
  },
  { collection: 'users', versionKey: false, strict: false, strictQuery: true },
);
// The three below have exactly the keys and options Meteor's accounts package gives them in a Rocket.Chat
// database, so pointing MONGODB_URI at one finds them already there: creating them again is a no-op.
// Login by username, and uniqueness.
userSchema.index({ username: 1 }, { unique: true, sparse: true });
// Login by email, and uniqueness among users that have one.
userSchema.index({ 'emails.address': 1 }, { unique: true, sparse: true });
// Authentication by the token hash.
userSchema.index({ 'services.resume.loginTokens.hashedToken': 1 }, { unique: true, sparse: true });
// The service's own: the present list (expires after now) and the expiries inside a delta window.
userSchema.index({ presenceExpiresAt: 1 }, { sparse: true });
// The service's own: the changes inside a delta window, and the feed's reads.
userSchema.index({ presenceChangedAt: 1 }, { sparse: true });

/**
 * Stream tickets: a few seconds' life each. Expired ones are deleted as new ones are saved (through this index), and
 * by MongoDB's TTL monitor (every minute) when none are.
 */
export const streamTicketSchema = new Schema(
  { _id: { type: String, required: true }, userId: String, hashedToken: String, expiresAt: Date },
  { collection: 'presence_stream_tickets', versionKey: false, strictQuery: true },
);
streamTicketSchema.index({ expiresAt: 1 }, { expireAfterSeconds: 0 });
