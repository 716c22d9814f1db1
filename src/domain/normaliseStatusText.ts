/** Rocket.Chat trims status text and silently cuts it to 120 characters (UTF-16 units, as JS counts them). */
export const STATUS_TEXT_MAX_LENGTH = 120;

export function normaliseStatusText(text: string): string {
  const cut = text.trim().slice(0, STATUS_TEXT_MAX_LENGTH);
  // Never leave half of a surrogate pair (an emoji cut in two) at the end.
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}
