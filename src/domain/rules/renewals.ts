import type { ConnectionRecord } from '../ports/connections';
import type { PresenceRenewal, PresenceWrite, UserRecord } from '../ports/records';
import { samePresence } from './rocketChatPresence';

function sameTime(a: Date | null | undefined, b: Date | null | undefined): boolean {
  return (a?.getTime() ?? null) === (b?.getTime() ?? null);
}

/**
 * What is left of `write` when, over `current`, it moves nothing but when the presence ends and `last_seen_at` (a
 * device renewing the presence it already has: pnut's `update_presence`); null when it changes anything else the
 * record holds (the status chosen or shown, a text, its end, the change stamp, what was recorded of Rocket.Chat's
 * fields). Such a renewal changes nothing clients are told of changes (its stamp is the one the user has), so the
 * stores write just those fields.
 */
export function presenceRenewalOf(current: UserRecord, write: PresenceWrite): PresenceRenewal | null {
  const same = (write.statusDefault === undefined || write.statusDefault === current.statusDefault)
    && (write.statusExpiresAt === undefined || sameTime(write.statusExpiresAt, current.statusExpiresAt))
    && write.status === current.status
    && write.statusText === current.statusText
    && write.presenceText === current.presenceText
    && sameTime(write.presenceChangedAt, current.presenceChangedAt)
    && current.presenceSeen !== undefined && samePresence(write.presenceSeen, current.presenceSeen);
  return same ? { presenceExpiresAt: write.presenceExpiresAt, lastSeenAt: write.lastSeenAt, updatedAt: write.updatedAt } : null;
}

/**
 * Whether putting `put` over `running` (the same connection as read) moves its lease alone, every other field as it
 * was: a running declaration renewed. The stores then write the lease only.
 */
export function isLeaseRenewal(running: ConnectionRecord | undefined, put: ConnectionRecord): boolean {
  return running !== undefined
    && running.id === put.id
    && running.userId === put.userId
    && running.hashedToken === put.hashedToken
    && running.kind === put.kind
    && running.state === put.state
    && running.instanceId === put.instanceId
    && running.clientRenewed === put.clientRenewed
    && running.createdAt.getTime() === put.createdAt.getTime();
}
