/** Length in Unicode code points, as pnut counts its 100-character limit (an emoji is one, not two). */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count += 1;
  return count;
}
