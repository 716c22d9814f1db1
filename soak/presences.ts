/**
 * What one user's presence is, as both APIs report it, and the changes the soak's clients make: pnut heartbeat
 * values, Rocket.Chat statuses and status messages, and `pick` to choose among them.
 */

export type Status = 'online' | 'away' | 'busy' | 'offline';

export interface Presence {
  status: Status;
  /** Status text; only compared while the status is not offline (an offline user's text is not shown). */
  text: string;
}

export const samePresence = (a: Presence, b: Presence) => a.status === b.status && (a.status === 'offline' || a.text === b.text);
export const show = (p: Presence) => (p.status === 'offline' || p.text === '' ? p.status : `${p.status} "${p.text}"`);

/** pnut's update_presence values the heartbeats send, and what each must leave (see parsePnutPresence). */
export const HEARTBEATS: { value: string; status: Status; text: string | null }[] = [
  { value: '1', status: 'online', text: '' },
  { value: '1', status: 'online', text: '' },
  { value: '1', status: 'online', text: '' },
  { value: 'online', status: 'online', text: '' },
  { value: 'away', status: 'away', text: '' },
  { value: 'busy', status: 'busy', text: '' },
  { value: 'offline', status: 'offline', text: '' },
  { value: '0', status: 'offline', text: '' },
  { value: 'in a meeting', status: 'online', text: 'in a meeting' },
  { value: 'coding 🎧', status: 'online', text: 'coding 🎧' },
];
export const STATUSES: Status[] = ['online', 'away', 'busy', 'offline'];
export const MESSAGES = [undefined, undefined, 'lunch', 'focus time', 'back at 3', ''];

export const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];
