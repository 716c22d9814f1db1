import type { Status } from './status';

export interface PresenceFields {
  status: Status;
  presenceExpiresAt: Date | null;
}

/**
 * The status every read reports: the chosen status while the presence is current, `offline` once it has
 * expired or when there never was one. Computing it at read time means no background job has to run for an
 * expired user to read as offline.
 */
export function effectiveStatus(user: PresenceFields, now: Date): Status {
  if (user.presenceExpiresAt === null || user.presenceExpiresAt.getTime() <= now.getTime()) return 'offline';
  return user.status;
}
