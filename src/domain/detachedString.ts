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
