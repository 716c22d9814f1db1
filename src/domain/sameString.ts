import { timingSafeEqual } from 'node:crypto';

/** Compares two strings in time that does not depend on where they differ, for anything derived from a secret. */
export function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
