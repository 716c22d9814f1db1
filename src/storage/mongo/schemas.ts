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
    lastSeenAt: Date,
    lastLogin: Date,
    avatarETag: String,
    createdAt: Date,
    services: {
      password: { bcrypt: String },
      resume: { loginTokens: [{ _id: false, when: Date, hashedToken: String }] },
    },
  },
  { collection: 'users', versionKey: false, strict: false, strictQuery: true },
);
// Login by username, and uniqueness. Same options as Rocket.Chat's own indexes, so pointing MONGODB_URI at a
// Rocket.Chat database does not conflict with them.
userSchema.index({ username: 1 }, { unique: true, sparse: true });
// Login by email, and uniqueness among users that have one.
userSchema.index({ 'emails.address': 1 }, { unique: true, sparse: true });
// Authentication: Rocket.Chat's own index on the token hash.
userSchema.index({ 'services.resume.loginTokens.hashedToken': 1 });
// The full list (expires after now) and the expiries inside a delta window (between since and now).
userSchema.index({ presenceExpiresAt: 1 });

export function presenceChangeSchema(retentionSeconds: number): Schema {
  const schema = new Schema(
    { userId: { type: String, required: true }, at: { type: Date, required: true } },
    { collection: 'presence_changes', versionKey: false, strictQuery: true },
  );
  // Serves the delta query (at > since) and drops entries once no delta window can reach them.
  schema.index({ at: 1 }, { expireAfterSeconds: retentionSeconds });
  return schema;
}
