/**
 * A position in one instance's presence feed, as clients see it: `<epoch>-<position>`. The epoch is chosen when
 * the feed starts, so a cursor from another instance, or from before a restart, is recognised as unknown.
 */
export interface FeedCursor {
  epoch: string;
  position: number;
}

const CURSOR = /^([0-9a-f]{8})-(\d{1,15})$/;

export function formatCursor(cursor: FeedCursor): string {
  return `${cursor.epoch}-${cursor.position}`;
}

/** undefined when `text` is not a cursor at all. */
export function parseCursor(text: string): FeedCursor | undefined {
  const match = CURSOR.exec(text);
  if (match === null) return undefined;
  return { epoch: match[1], position: Number(match[2]) };
}
