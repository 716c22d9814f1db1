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
