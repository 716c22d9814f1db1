import { documentValueOf, hasUnrecordedRocketChatWrite, isRocketChatConnected, isRocketChatPresence, recordedValueOf, rocketChatFieldsOf, rocketChatPresenceOf, rocketChatWroteSince } from '../../../src/domain/rules/rocketChatPresence';
import { rocketChatChangeRecord } from '../../../src/domain/rules/changes';
import type { UserRecord } from '../../../src/domain/ports/records';
import { userRecord } from '../../support/testApp';

const now = new Date('2026-01-01T12:00:00.000Z');
const seen = (status: string, statusText = '', statusConnection: string | null = null) => ({ status, statusText, statusDefault: null, statusConnection });

/** The user u1, as created, with `fields`. */
const user = (fields: Partial<UserRecord>): UserRecord => userRecord({ id: 'u1', username: 'u1', name: 'U', createdAt: now, ...fields });

describe('whether Rocket.Chat has a live connection of the user', () => {
  it.each(['online', 'away'])('says yes for its connection status %s', (status) => expect(isRocketChatConnected(status)).toBe(true));
  it.each(['offline', 'busy', 'disabled', '', null])('says no for %p', (status) => expect(isRocketChatConnected(status)).toBe(false));
});

describe('whose presence it is', () => {
  it('is this service\'s while its expiry is set and Rocket.Chat\'s fields are as it left them', () => {
    const ours = user({ status: 'away', presenceExpiresAt: now, presenceSeen: seen('away') });
    expect(isRocketChatPresence(ours)).toBe(false);
    expect(rocketChatWroteSince(ours)).toBe(false);
  });
  it.each(<[string, Partial<UserRecord>][]>[
    ['status', { status: 'online', statusText: 'lunch' }],
    ['text', { status: 'away', statusText: 'back' }],
    ['chosen status', { status: 'away', statusText: 'lunch', statusDefault: 'away' }],
    ['connection status', { status: 'away', statusText: 'lunch', statusConnection: 'online' }],
  ])('is Rocket.Chat\'s once any of its presence fields differs: %s', (_field, fields) => {
    const written = user({ presenceExpiresAt: now, presenceSeen: seen('away', 'lunch'), ...fields });
    expect(rocketChatWroteSince(written)).toBe(true);
    expect(isRocketChatPresence(written)).toBe(true);
  });
  it('is Rocket.Chat\'s without an expiry of this service', () => {
    expect(isRocketChatPresence(user({ status: 'online' }))).toBe(true);
  });
});

describe('which Rocket.Chat writes still need recording', () => {
  it('a present user never recorded, not an offline one', () => {
    expect(hasUnrecordedRocketChatWrite(user({ status: 'online' }))).toBe(true);
    expect(hasUnrecordedRocketChatWrite(user({ status: 'offline' }))).toBe(false);
  });
  it('not a presence of this service written before presenceSeen existed (it has an expiry)', () => {
    expect(hasUnrecordedRocketChatWrite(user({ status: 'online', presenceExpiresAt: now }))).toBe(false);
  });
  it('any difference from what was recorded, and nothing once recorded', () => {
    expect(hasUnrecordedRocketChatWrite(user({ status: 'away', presenceSeen: seen('online') }))).toBe(true);
    expect(hasUnrecordedRocketChatWrite(user({ status: 'away', presenceSeen: seen('away') }))).toBe(false);
  });
});

describe('recording a Rocket.Chat write', () => {
  it('stamps a visible change now and records the fields seen', () => {
    const record = rocketChatChangeRecord(user({ status: 'away', statusConnection: 'away', presenceSeen: seen('online', '', 'online'), presenceChangedAt: new Date(now.getTime() - 5000) }), now);
    expect(record).toEqual({ presenceChangedAt: now, presenceSeen: seen('away', '', 'away') });
  });
  it('stamps a user seen present for the first time', () => {
    expect(rocketChatChangeRecord(user({ status: 'busy' }), now).presenceChangedAt).toEqual(now);
  });
  it('keeps the stamp when what clients see is the same (only the connection status moved)', () => {
    const before = new Date(now.getTime() - 5000);
    const record = rocketChatChangeRecord(user({ status: 'busy', statusConnection: 'away', statusDefault: 'busy', presenceSeen: { status: 'busy', statusText: '', statusDefault: 'busy', statusConnection: 'online' }, presenceChangedAt: before }), now);
    expect(record.presenceChangedAt).toEqual(before);
    expect(record.presenceSeen).toEqual(rocketChatPresenceOf(user({ status: 'busy', statusConnection: 'away', statusDefault: 'busy' })));
  });
  it('stamps Rocket.Chat setting online a user whose presence of this service had expired: clients saw offline', () => {
    const expired = new Date(now.getTime() - 60_000);
    const record = rocketChatChangeRecord(user({ status: 'online', statusConnection: 'online', presenceExpiresAt: expired, presenceSeen: seen('online'), presenceChangedAt: new Date(now.getTime() - 120_000) }), now);
    expect(record.presenceChangedAt).toEqual(now);
  });
  it('stamps after the previous stamp even when the clock reads earlier (two changes in one millisecond stay two)', () => {
    const record = rocketChatChangeRecord(user({ status: 'away', presenceSeen: seen('online'), presenceChangedAt: now }), now);
    expect(record.presenceChangedAt).toEqual(new Date(now.getTime() + 1));
  });
});

describe('Rocket.Chat\'s optional presence fields: absent in a document, null when recorded', () => {
  it('records an absent or null field as null, a set one as it is', () => {
    expect(recordedValueOf(undefined)).toBeNull();
    expect(recordedValueOf(null)).toBeNull();
    expect(recordedValueOf('away')).toBe('away');
  });
  it('gives a field recorded as null back as absent', () => {
    expect(documentValueOf(null)).toBeUndefined();
    expect(documentValueOf('online')).toBe('online');
  });
  it('maps a document there and back', () => {
    const recorded = rocketChatPresenceOf({ status: 'away', statusText: 'lunch', statusConnection: 'online', presenceExpiresAt: null });
    expect(recorded).toEqual({ status: 'away', statusText: 'lunch', statusDefault: null, statusConnection: 'online' });
    const fields = rocketChatFieldsOf(recorded);
    expect(fields).toEqual({ status: 'away', statusText: 'lunch', statusDefault: undefined, statusConnection: 'online' });
    expect('statusDefault' in fields).toBe(true);
  });
});
