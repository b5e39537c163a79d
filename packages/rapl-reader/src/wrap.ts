/**
 * The energy a RAPL counter gained between two readings, in microjoules, correcting one wraparound.
 *
 * `cur >= prev` is a plain difference (equal readings are 0, not a wrap). A decrease is a wrap when the range is
 * usable (a positive `maxRangeUj` not below either reading): `(maxRangeUj - prev) + cur`. Without a usable range
 * a decrease cannot be told from a counter reset, so the result is null: skip that interval rather than report
 * a negative or huge power. Pure.
 */
export function wrapDelta(prevUj: number, curUj: number, maxRangeUj: number | null): number | null {
  if (curUj >= prevUj) return curUj - prevUj;
  if (maxRangeUj === null || !(maxRangeUj > 0) || prevUj > maxRangeUj || curUj > maxRangeUj) return null;
  return maxRangeUj - prevUj + curUj;
}
