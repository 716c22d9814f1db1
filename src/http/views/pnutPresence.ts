import { pnutPresenceOf } from '../../domain/rules/pnut';
import type { UserRecord } from '../../domain/ports/records';

/** pnut's presence object; `last_seen_at` is absent for a user who never set a presence. */
export interface PnutPresenceObject {
  id: string;
  username: string;
  name?: string;
  presence: string;
  last_seen_at?: string;
}

export function pnutPresenceObject(user: UserRecord, now: Date): PnutPresenceObject {
  const presence = pnutPresenceOf(user, now);
  const view: PnutPresenceObject = user.name === ''
    ? { id: user.id, username: user.username, presence }
    : { id: user.id, username: user.username, name: user.name, presence };
  if (user.lastSeenAt !== null) view.last_seen_at = user.lastSeenAt.toISOString();
  return view;
}
