import { isRocketChatPresence, type RocketChatPresenceFields } from './rocketChatPresence';
import { isStatus, type Status } from './status';

export type PresenceFields = RocketChatPresenceFields;

/**
 * The status every read reports. A presence set through this service is the chosen status while it is current and
 * `offline` once it has expired (computed at read time: no background job has to run for an expired user to read
 * as offline). A presence Rocket.Chat set, or with no expiry of this service's, is the status as written.
 */
export function effectiveStatus(user: PresenceFields, now: Date): Status {
  if (isRocketChatPresence(user)) return isStatus(user.status) ? user.status : 'offline';
  if ((user.presenceExpiresAt as Date).getTime() <= now.getTime()) return 'offline';
  return isStatus(user.status) ? user.status : 'offline';
}
