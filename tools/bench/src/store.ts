/** How many samples one series kept over a window, and how many a 1-per-interval scrape lost. */
export interface SeriesCount {
  readonly labels: Readonly<Record<string, string>>;
  readonly expected: number;
  readonly stored: number;
  /** Scrapes missing: gaps between stored samples, and at either edge of the window, of more than 1.5 intervals. */
  readonly lost: number;
}

/**
 * Counts a series' raw samples in the window (startSeconds, endSeconds]: expected is one per interval, lost
 * is the number of missing scrapes found in the gaps (a gap of g intervals lost round(g) - 1). Pure.
 */
export function countSeries(
  labels: Readonly<Record<string, string>>,
  timestamps: readonly number[],
  window: { readonly startSeconds: number; readonly endSeconds: number; readonly intervalSeconds: number },
): SeriesCount {
  const { startSeconds, endSeconds, intervalSeconds } = window;
  const inside = timestamps.filter((t) => t > startSeconds && t <= endSeconds).sort((a, b) => a - b);
  const expected = Math.round((endSeconds - startSeconds) / intervalSeconds);
  const missedIn = (gapSeconds: number) => Math.max(0, Math.round(gapSeconds / intervalSeconds) - 1);
  if (inside.length === 0) return { labels, expected, stored: 0, lost: expected };
  let lost = missedIn(inside[0]! - startSeconds) + missedIn(endSeconds - inside.at(-1)!);
  for (let i = 1; i < inside.length; i++) lost += missedIn(inside[i]! - inside[i - 1]!);
  return { labels, expected, stored: inside.length, lost };
}

/** Totals over many series. Pure. */
export function totalCounts(counts: readonly SeriesCount[]): { series: number; expected: number; stored: number; lost: number; storedMin: number; storedMax: number; seriesWithLoss: number } {
  return {
    series: counts.length,
    expected: counts.reduce((n, c) => n + c.expected, 0),
    stored: counts.reduce((n, c) => n + c.stored, 0),
    lost: counts.reduce((n, c) => n + c.lost, 0),
    storedMin: counts.length ? Math.min(...counts.map((c) => c.stored)) : NaN,
    storedMax: counts.length ? Math.max(...counts.map((c) => c.stored)) : NaN,
    seriesWithLoss: counts.filter((c) => c.lost > 0).length,
  };
}
