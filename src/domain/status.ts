/** The four statuses Rocket.Chat knows; `offline` chosen by a user means "invisible". */
export const STATUSES = ['online', 'away', 'busy', 'offline'] as const;

export type Status = (typeof STATUSES)[number];

export function isStatus(value: unknown): value is Status {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value);
}
