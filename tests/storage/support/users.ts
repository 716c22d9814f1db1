import type { UserRecord } from '../../../src/domain/ports/records';
import { userRecord } from '../../support/testApp';

export const T0 = new Date('2026-01-15T12:00:00.000Z');
/** `seconds` after T0. */
export const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

/**
 * A user (userRecord) with every optional field set, credentials too: a password and three login tokens, the
 * middle one a personal access token in Rocket.Chat's shape (no `when`). Each field must come back as it went in.
 * Named after `id`: the username `User.<id>`, the addresses `<id>@example.com` and `<id>.second@example.com`, the
 * tokens `<id>-token-1`, `<id>-pat` and `<id>-token-2`.
 */
export function everyFieldUser(id: string, fields: Partial<UserRecord> = {}): UserRecord {
  return userRecord({
    id,
    username: `User.${id}`,
    name: `Name ${id}`,
    emails: [{ address: `${id}@example.com`, verified: true }, { address: `${id}.second@example.com`, verified: false }],
    utcOffset: 5.5,
    roles: ['user', 'admin'],
    status: 'away',
    statusText: 'at lunch',
    statusDefault: 'online',
    statusConnection: 'online',
    presenceText: ' at lunch ',
    presenceExpiresAt: at(900),
    presenceSeen: { status: 'away', statusText: 'at lunch', statusDefault: null, statusConnection: 'online' },
    lastSeenAt: at(-10),
    presenceChangedAt: at(-10),
    presenceRevision: 7,
    lastLogin: at(-3600),
    avatarETag: 'etag-1',
    requirePasswordChange: true,
    customFields: { department: 'sales', badge: 7, remote: false, deputy: null },
    createdAt: at(-86_400),
    updatedAt: at(-10),
    credentials: {
      passwordHash: '$2b$10$secret',
      loginTokens: [{ when: at(-60), hashedToken: `${id}-token-1` }, { hashedToken: `${id}-pat`, type: 'personalAccessToken' } as never, { when: at(-5), hashedToken: `${id}-token-2` }],
    },
    ...fields,
  });
}

/** A user (userRecord) with none of the optional fields: they must come back absent, not null or undefined. */
export function bareUser(id: string): UserRecord {
  return userRecord({ id, username: id, name: id, active: false, roles: [], createdAt: at(0) });
}

/** The record as every finder but login's and the token look-ups' returns it: without credentials. */
export const withoutCredentials = ({ credentials: _credentials, ...record }: UserRecord): UserRecord => record;
