/** Percentiles and extremes of a set of measurements. */
export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** The nearest-rank percentile `p` (0-100) of ascending `sorted`; NaN when empty. Pure. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** p50, p99, max and mean of `values`. Pure. */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length === 0 ? NaN : sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN, mean };
}

/** One cumulative histogram bucket: observations <= le. */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/**
 * The upper bound of the bucket holding quantile `q` (0-1) of the observations between two readings of a
 * cumulative histogram: "p99 <= X". Infinity when it lies in the +Inf bucket; NaN with no observation. Pure.
 */
export function histogramQuantileBound(before: readonly Bucket[], after: readonly Bucket[], q: number): number {
  const at = (buckets: readonly Bucket[], le: number) => buckets.find((b) => b.le === le)?.count ?? 0;
  const deltas = after.map((b) => ({ le: b.le, count: b.count - at(before, b.le) })).sort((a, b) => a.le - b.le);
  const total = deltas.at(-1)?.count ?? 0;
  if (total <= 0) return NaN;
  const target = q * total;
  for (const bucket of deltas) if (bucket.count >= target) return bucket.le;
  return Infinity;
}
