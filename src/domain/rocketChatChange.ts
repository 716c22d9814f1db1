import { changeStampAfterWrite } from './changeStamp';
import { rocketChatPresenceOf } from './rocketChatPresence';
import type { RocketChatChangeRecord, UserRecord } from './userRecord';

/**
 * When Rocket.Chat's unrecorded write happened, as far as a stamp may say. Every reader of changes records what
 * Rocket.Chat wrote before it reads, so none can have read past a write found by its `_updatedAt` (Rocket.Chat 7):
 * that is its time. A user first seen by the comparison of present users, never recorded, is in the state Rocket.Chat
 * last dated. Anything else that comparison finds (Rocket.Chat 6 writes without `_updatedAt`) has no time of its own,
 * and a reader may already have read past it: it is dated when found.
 */
export function rocketChatWriteTime(user: UserRecord, foundByUpdatedAt: boolean, now: Date): Date {
  if ((foundByUpdatedAt || user.presenceSeen === undefined) && user._updatedAt !== undefined) return user._updatedAt;
  return now;
}

/**
 * How a presence Rocket.Chat wrote is recorded: its fields as now seen, and the change stamp clients find it by.
 * What clients were told before is the presence as last recorded, under its expiry (nothing, for a user never
 * recorded); what they see now is Rocket.Chat's status. Only a visible difference gets a new stamp: the write's
 * time (see rocketChatWriteTime), and always after the user's previous change.
 */
export function rocketChatChangeRecord(user: UserRecord, writtenAt: Date): RocketChatChangeRecord {
  const seen = rocketChatPresenceOf(user);
  const recorded = user.presenceSeen;
  const before = recorded === undefined
    ? { ...user, status: 'offline', statusText: '', presenceText: null, presenceExpiresAt: null }
    : {
      ...user,
      status: recorded.status,
      statusText: recorded.statusText,
      statusDefault: recorded.statusDefault ?? undefined,
      statusConnection: recorded.statusConnection ?? undefined,
    };
  const after = { ...user, presenceExpiresAt: null, presenceText: null, presenceSeen: seen };
  return { presenceChangedAt: changeStampAfterWrite(before, after, writtenAt), presenceSeen: seen };
}
