import { parseSamples, type Sample } from '@proj/fixtures';
import type { Bucket } from './stats.js';

/** The sampler's own metrics as one scrape shows them. */
export interface SamplerReading {
  readonly lagSumSeconds: number;
  readonly lagCount: number;
  readonly buckets: readonly Bucket[];
  readonly ticks: number;
  readonly missed: number;
}

/** Reads `<prefix>_sampler_lag_seconds`, ticks and missed ticks out of an exposition. Pure. */
export function readSampler(text: string | Sample[], prefix: string): SamplerReading {
  const samples = typeof text === 'string' ? parseSamples(text) : text;
  const one = (name: string): number => {
    const sample = samples.find((s) => s.name === name);
    if (!sample) throw new Error(`no ${name} in the exposition`);
    return sample.value;
  };
  const buckets = samples
    .filter((s) => s.name === `${prefix}_sampler_lag_seconds_bucket`)
    .map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), count: s.value }));
  return {
    lagSumSeconds: one(`${prefix}_sampler_lag_seconds_sum`),
    lagCount: one(`${prefix}_sampler_lag_seconds_count`),
    buckets,
    ticks: one(`${prefix}_sampler_ticks_total`),
    missed: one(`${prefix}_sampler_ticks_missed_total`),
  };
}

/** One tick's lag, recovered from two consecutive scrapes. */
export interface TickLag {
  /** Seconds since the tracker started (when the scrape saw it). */
  readonly atSeconds: number;
  readonly lagMs: number;
}

/**
 * Recovers each tick's lag from outside the process: scraped once per tick, the histogram's `_sum` grows by
 * exactly that tick's lag and `_count` by one. When two ticks fell between scrapes only their average is
 * known, so it is counted (`merged`) but not used as a per-tick value.
 */
export function createLagTracker() {
  let previous: SamplerReading | undefined;
  let first: SamplerReading | undefined;
  const ticks: TickLag[] = [];
  let merged = 0;
  return {
    /** Feeds one scrape taken `atSeconds` into the run. */
    add(reading: SamplerReading, atSeconds: number): void {
      first ??= reading;
      if (previous) {
        const count = reading.lagCount - previous.lagCount;
        if (count === 1) ticks.push({ atSeconds, lagMs: (reading.lagSumSeconds - previous.lagSumSeconds) * 1000 });
        else if (count > 1) merged += count;
      }
      previous = reading;
    },
    ticks: (): readonly TickLag[] => ticks,
    merged: () => merged,
    first: () => first,
    last: () => previous,
  };
}
