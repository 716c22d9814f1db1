/**
 * A position in the order of presence changes, as clients see it (`X-Presence-Cursor`, a stream's event ids): the
 * server time up to which the answer or event holds every committed change, in milliseconds. It names no
 * instance, so every instance resumes from it the same way, after a restart too (see planChangesSince).
 */
export function formatCursor(atMs: number): string {
  return String(atMs);
}

const CURSOR = /^\d{1,15}$/;

/** The time a cursor names; undefined when `text` is not a cursor at all. */
export function parseCursor(text: string): number | undefined {
  return CURSOR.test(text) ? Number(text) : undefined;
}
