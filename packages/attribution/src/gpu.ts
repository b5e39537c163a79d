/** One process's use of a GPU in the pmon sample an energy interval is split by. */
export interface ProcessUse {
  /** SM, NVENC and NVDEC utilisation, percent; undefined where pmon printed `-` (counted as 0). */
  readonly smPercent: number | undefined;
  readonly encPercent: number | undefined;
  readonly decPercent: number | undefined;
  /** Whether the process gets a share of its own (its command matches --attribute-processes). */
  readonly matched: boolean;
}

/** One GPU's energy over one interval, split over its processes. */
export interface GpuEnergySplit {
  /** Each process's joules, in the order given; 0 for an unmatched process (its share is in unattributed). */
  readonly processJoules: number[];
  /** ΔE minus the matched processes' shares: unmatched processes, and all of ΔE when no process was busy. */
  readonly unattributedJoules: number;
}

/** The weight a process's share is proportional to: sm + enc + dec, each engine counted alike, `-` as 0. */
export function processWeight(use: Omit<ProcessUse, 'matched'>): number {
  let weight = 0;
  for (const percent of [use.smPercent, use.encPercent, use.decPercent]) if (percent !== undefined && percent > 0 && Number.isFinite(percent)) weight += percent;
  return weight;
}

/**
 * Splits a GPU's energy ΔE over its processes in proportion to their sm + enc + dec utilisation:
 * share(p) = ΔE x w(p) / Σw. Only matched processes keep their share; the rest of ΔE (unmatched processes, or all
 * of it when every weight is 0) is unattributed, so Σ shares + unattributed = ΔE and nothing is negative. Pure.
 * Throws a RangeError for a negative or non-finite ΔE (the caller's bug, not a measurement).
 */
export function splitGpuEnergy(deltaJoules: number, processes: readonly ProcessUse[]): GpuEnergySplit {
  if (!Number.isFinite(deltaJoules) || deltaJoules < 0) throw new RangeError(`deltaJoules must be a finite number >= 0, got ${deltaJoules}`);
  const weights = processes.map(processWeight);
  let total = 0;
  for (const weight of weights) total += weight;
  if (total === 0) return { processJoules: processes.map(() => 0), unattributedJoules: deltaJoules };
  let attributed = 0;
  const processJoules = processes.map((use, i) => {
    if (!use.matched) return 0;
    const joules = deltaJoules * (weights[i]! / total);
    attributed += joules;
    return joules;
  });
  // Rounding can leave the sum an ulp above ΔE: unattributed never goes below 0.
  return { processJoules, unattributedJoules: Math.max(0, deltaJoules - attributed) };
}
