/** Helpers the service uses that are not about presence: gathered here rather than one per file. */

import { timingSafeEqual } from 'node:crypto';
import { DateTime } from 'luxon';

/** The first index at or after `from` whose value is greater than `value`, in an array sorted ascending. */
export function firstIndexAbove(sorted: readonly number[], value: number, from = 0): number {
  let low = from;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid] <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Length in Unicode code points, as pnut counts its 100-character limit (an emoji is one, not two). */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}

/** Compares two strings in time that does not depend on where they differ, for anything derived from a secret. */
export function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * The same text as a string of its own. V8 cuts substrings (split, slice, a regexp match) as views into the string
 * they came from, so an id taken from a request's query keeps that whole query alive for as long as the id is
 * kept: kilobytes held by a few bytes, for every stream that watches users, for hours.
 */
export function detachedString(text: string): string {
  // V8 makes views only of substrings of 13 characters or more. The concatenation is flattened by the slice into a
  // new string one character longer, which the result then points into: nothing else is kept.
  return text.length < 13 ? text : (' ' + text).slice(1);
}

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

/**
 * The token of an `Authorization: Bearer <token>` header; undefined for anything else. Here, not in src/http:
 * the configuration checks with it that METRICS_TOKEN can be presented at all.
 */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  return /^Bearer ([^\s,]+)$/i.exec(authorization ?? '')?.[1];
}

/**
 * `{ ...base, ...extra }` for objects the service builds itself, made so that V8 can share its hidden class. In
 * Node 20 (these machines' Node; tests/unit/hiddenClasses.test.ts) a property added after a spread gives each
 * object a map of its own: allocated in the old space, so each such object leaves old-space garbage behind, and each
 * function that reads them sees a new shape every time (a stream kept one such identity, a heap snapshot found:
 * docs/benchmarks.md). Object.assign onto a new object adds the same properties through the transitions every
 * other such object took. Not for client input: a `__proto__` key would be set, not copied.
 */
export function withFields<T extends object, U extends object>(base: T, extra: U): Omit<T, keyof U> & U {
  return Object.assign({}, base, extra);
}
