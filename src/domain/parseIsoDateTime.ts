import { DateTime } from 'luxon';

/**
 * Parses `from` the way Rocket.Chat documents it: ISO 8601, with timezone, seconds and milliseconds optional.
 * A time without a timezone is read as UTC, as the server's own clock is. Returns undefined for anything else.
 */
export function parseIsoDateTime(text: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return undefined;
  const parsed = DateTime.fromISO(text, { zone: 'utc', setZone: true });
  return parsed.isValid ? parsed.toJSDate() : undefined;
}
