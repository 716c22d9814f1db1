import { DateTime } from 'luxon';

const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Parses `from` the way Rocket.Chat documents it: ISO 8601, with timezone, seconds and milliseconds optional.
 * A time without a timezone is read as UTC, as the server's own clock is. Returns undefined for anything else.
 */
export function parseIsoDateTime(text: string): Date | undefined {
  // What every JavaScript client sends (Date.prototype.toISOString), read without luxon when it is exactly that:
  // every poll carries one.
  if (CANONICAL.test(text)) {
    const date = new Date(text);
    if (!Number.isNaN(date.getTime()) && date.toISOString() === text) return date;
  }
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text)) return undefined;
  // luxon takes any two digits as an offset's hours and minutes; no zone on Earth is +25:00 or +14:60.
  const offset = /[+-](\d{2}):?(\d{2})?$/.exec(text);
  if (offset !== null && (Number(offset[1]) > 14 || Number(offset[2] ?? '0') > 59)) return undefined;
  const parsed = DateTime.fromISO(text, { zone: 'utc', setZone: true });
  return parsed.isValid ? parsed.toJSDate() : undefined;
}
