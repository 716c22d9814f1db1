import type { Database } from 'better-sqlite3';

/** `PRAGMA application_id` of this service's data file ("PRES"): a SQLite file without it is someone else's. */
export const APPLICATION_ID = 0x50524553;

/**
 * The first version of the schema. Every query SqliteStore runs is served by one of these indexes
 * (tests/storage/sqliteStore.test.ts checks each query's plan; docs/storage.md lists them).
 *
 * A user is one row: the fields that are queried or written on their own in typed columns (times as milliseconds
 * since the epoch, NULL for a field that is null or absent, as the record says which), the arrays and objects as
 * JSON. Emails (lower-cased, for login and uniqueness) and login tokens (in the order they were added) have tables
 * of their own, each keyed by what is looked up. The password hash is a column no finder but login's selects.
 */
const VERSION_1 = `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  username_key TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  emails TEXT,
  utc_offset REAL NOT NULL,
  active INTEGER NOT NULL,
  roles TEXT NOT NULL,
  status TEXT NOT NULL,
  status_text TEXT NOT NULL,
  status_default TEXT,
  status_connection TEXT,
  presence_text TEXT,
  presence_expires_at INTEGER,
  presence_seen TEXT,
  last_seen_at INTEGER,
  presence_changed_at INTEGER,
  presence_revision INTEGER NOT NULL,
  last_login INTEGER,
  avatar_etag TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER,
  password_bcrypt TEXT
) STRICT;
-- The present list (expires after now) and the expiries inside a delta window.
CREATE INDEX users_by_expiry ON users (presence_expires_at) WHERE presence_expires_at IS NOT NULL;
-- The changes inside a delta window: the feed's and the deltas' reads.
CREATE INDEX users_by_change ON users (presence_changed_at) WHERE presence_changed_at IS NOT NULL;
-- Present users without an expiry of this service's (a presence recorded as Rocket.Chat's).
CREATE INDEX users_present_without_expiry ON users (id) WHERE presence_expires_at IS NULL AND status <> 'offline';

CREATE TABLE user_emails (
  address_key TEXT PRIMARY KEY,
  user_id TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- The rowid keeps each user's tokens in the order they were added.
CREATE TABLE login_tokens (
  hashed_token TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL,
  issued_at INTEGER,
  type TEXT
) STRICT;
CREATE INDEX login_tokens_by_user ON login_tokens (user_id);

CREATE TABLE stream_tickets (
  hashed_ticket TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  hashed_token TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX stream_tickets_by_expiry ON stream_tickets (expires_at);

CREATE TABLE login_attempts (
  key TEXT PRIMARY KEY,
  count INTEGER NOT NULL,
  reset_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX login_attempts_by_reset ON login_attempts (reset_at);

-- How many rows login_attempts holds, kept by its triggers in the same transaction as the rows: the cap's check is
-- one lookup, and right whatever is undone.
CREATE TABLE row_counts (name TEXT PRIMARY KEY, count INTEGER NOT NULL) STRICT, WITHOUT ROWID;
INSERT INTO row_counts (name, count) VALUES ('login_attempts', 0);
CREATE TRIGGER login_attempts_inserted AFTER INSERT ON login_attempts
  BEGIN UPDATE row_counts SET count = count + 1 WHERE name = 'login_attempts'; END;
CREATE TRIGGER login_attempts_deleted AFTER DELETE ON login_attempts
  BEGIN UPDATE row_counts SET count = count - 1 WHERE name = 'login_attempts'; END;
`;

/**
 * The second version: connections (issue 20), each a place a user is present, the instances' liveness records, and
 * timed statuses.
 * Every query of ConnectionStore is served by one of these indexes.
 */
const VERSION_2 = `
CREATE TABLE connections (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  hashed_token TEXT NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  instance_id TEXT,
  client_renewed INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
-- A user's connections (their status), a token's (heartbeats, logout), the lapsed ones (the reaper).
CREATE INDEX connections_by_user ON connections (user_id);
CREATE INDEX connections_by_token ON connections (hashed_token);
CREATE INDEX connections_by_expiry ON connections (expires_at);
-- An instance's streams: its bulk renewal, and their removal once it is dead.
CREATE INDEX connections_by_instance ON connections (instance_id, client_renewed) WHERE instance_id IS NOT NULL;

CREATE TABLE instances (
  id TEXT PRIMARY KEY,
  expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX instances_by_expiry ON instances (expires_at);

-- Timed statuses: when the chosen status goes back to online; the rounds find those that ended.
ALTER TABLE users ADD COLUMN status_expires_at INTEGER;
CREATE INDEX users_by_status_expiry ON users (status_expires_at) WHERE status_expires_at IS NOT NULL;
`;

/**
 * The third version: account management (issue 23). Users listed in username order; the active admins counted (the
 * last one is never deactivated, demoted or removed); a user's emails found to replace or remove them; and removed
 * users remembered while a delta or a resumed stream may still ask for changes from before they went. And an
 * instance's round renews only the streams whose lease is due (issue 21): found by a range of the index, not by
 * reading every stream of the instance. And what Rocket.Chat's users.create keeps of a new user besides the rest
 * (issue 22): whether the user is to choose a new password (1, or NULL when not), and the custom fields (JSON).
 * Neither is queried.
 */
const VERSION_3 = `
ALTER TABLE users ADD COLUMN require_password_change INTEGER;
ALTER TABLE users ADD COLUMN custom_fields TEXT;
DROP INDEX connections_by_instance;
CREATE INDEX connections_by_instance ON connections (instance_id, client_renewed, expires_at) WHERE instance_id IS NOT NULL;
CREATE INDEX users_by_username ON users (username);
-- Only the rows of admins: roles is a JSON array of strings, so '"admin"' is exactly an element "admin".
CREATE INDEX users_admins ON users (active) WHERE instr(roles, '"admin"') > 0;
CREATE INDEX user_emails_by_user ON user_emails (user_id);

CREATE TABLE removed_users (
  id TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  name TEXT NOT NULL,
  utc_offset REAL NOT NULL,
  removed_at INTEGER NOT NULL,
  forget_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX removed_users_by_time ON removed_users (removed_at);
CREATE INDEX removed_users_by_forget ON removed_users (forget_at);
`;

/**
 * The fourth version: the present users without an expiry are found by the statuses the domain asks for
 * (PRESENT_STATUSES), not by a status the schema decides is absent.
 */
const VERSION_4 = `
DROP INDEX users_present_without_expiry;
CREATE INDEX users_by_status_without_expiry ON users (status) WHERE presence_expires_at IS NULL;
`;

/**
 * The steps from each schema version to the next: MIGRATIONS[v] takes a file at `PRAGMA user_version` v to v + 1.
 * A new file (version 0) takes them all. A later version of the schema adds a step here, never edits one.
 */
const MIGRATIONS: ((db: Database) => void)[] = [
  (db) => {
    db.exec(VERSION_1);
    db.pragma(`application_id = ${APPLICATION_ID}`);
  },
  (db) => {
    db.exec(VERSION_2);
  },
  (db) => {
    db.exec(VERSION_3);
  },
  (db) => {
    db.exec(VERSION_4);
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings a file at schema version `from` to `to` (SCHEMA_VERSION; a test makes older files), in one transaction: all the steps or none. */
export function migrate(db: Database, from: number, to = SCHEMA_VERSION): void {
  db.transaction(() => {
    for (let version = from; version < to; version += 1) MIGRATIONS[version](db);
    db.pragma(`user_version = ${to}`);
  })();
}
