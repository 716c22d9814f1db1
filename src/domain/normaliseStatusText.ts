/** Rocket.Chat trims status text and silently cuts it to 120 characters (UTF-16 units, as JS counts them). */
export const STATUS_TEXT_MAX_LENGTH = 120;

export function normaliseStatusText(text: string): string {
  return text.trim().slice(0, STATUS_TEXT_MAX_LENGTH);
}
