import type { SamplerTick } from './sampler.js';

/** What a collector says about its source on /health. */
export interface HealthReport {
  /** `degraded` is still healthy (200): "no GPU here" is a normal state. */
  readonly status: 'ok' | 'degraded';
  /** Why it is degraded, in words an operator can act on. */
  readonly reasons: readonly string[];
  /** Anything else worth showing (zones found, GPUs seen, ...). */
  readonly details?: Record<string, unknown>;
}

/**
 * One data source of an exporter (RAPL, nvidia-smi, attribution, ...), beside the others on one clock. Collectors
 * are sampled in the order given, once per tick; a collector that consumes another's output for the same tick (energy
 * intervals, GPU energy deltas) is given the producer when created, is placed after it, and reads what the producer
 * exposes for its latest tick (see docs/ARCHITECTURE.md, "Where a new source goes").
 */
export interface Collector {
  /** Reads the source once and updates the metrics. Never called from a request. */
  sample(tick: SamplerTick): void | Promise<void>;
  /** What /health says about this source, as of its latest sample. */
  health(): HealthReport;
  /** Starts what feeds the collector (a child process, ...); runs before the first sample. */
  start?(): void | Promise<void>;
  /** Releases what start() acquired; runs after the sampler has stopped. */
  close?(): void | Promise<void>;
}

/** Several collectors' reports as one: degraded when any is, reasons in collector order, details merged. */
export function combineHealth(reports: readonly HealthReport[]): HealthReport {
  const reasons = reports.flatMap((report) => report.reasons);
  const details = Object.assign({}, ...reports.map((report) => report.details ?? {})) as Record<string, unknown>;
  return {
    status: reports.some((report) => report.status === 'degraded') ? 'degraded' : 'ok',
    reasons,
    ...(Object.keys(details).length === 0 ? {} : { details }),
  };
}

/**
 * Samples every collector in order for one tick. One collector's failure does not keep the ones after it from
 * sampling; the failures are thrown together afterwards (an AggregateError when more than one), so the sampler counts
 * the tick as failed.
 */
export async function sampleCollectors(collectors: readonly Collector[], tick: SamplerTick): Promise<void> {
  const errors: unknown[] = [];
  for (const collector of collectors) {
    try {
      await collector.sample(tick);
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} collectors failed`);
}
