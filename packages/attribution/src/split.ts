/** One zone's energy over one interval, split by the host's CPU time. */
export interface EnergySplit {
  /** ΔE x Δbusy / Δtotal: the energy of the interval's busy CPU time. */
  readonly activeJoules: number;
  /** ΔE - active, so that active + idle = ΔE. */
  readonly idleJoules: number;
  /** Δbusy / Δtotal in [0, 1]; 0 when the counters did not move. */
  readonly busyRatio: number;
  /** Δbusy as used: clamped to [0, Δtotal]. */
  readonly deltaBusyTicks: number;
  /** Δtotal as used: 0 when it did not grow. */
  readonly deltaTotalTicks: number;
}

/**
 * Splits a zone's energy ΔE (joules, wrap-corrected by the caller) with the host's CPU ticks from `/proc/stat`:
 * active = ΔE x Δbusy/Δtotal, idle = ΔE - active. Δtotal <= 0 (counters that did not move, or went back when a
 * CPU went offline) gives all idle. Δbusy is clamped to [0, Δtotal]. Throws a RangeError for a negative or
 * non-finite ΔE, which is the caller's wraparound bug, not a measurement.
 */
export function splitEnergy(deltaJoules: number, deltaBusyTicks: number, deltaTotalTicks: number): EnergySplit {
  if (!Number.isFinite(deltaJoules) || deltaJoules < 0) throw new RangeError(`deltaJoules must be a finite number >= 0, got ${deltaJoules}`);
  const total = Number.isFinite(deltaTotalTicks) && deltaTotalTicks > 0 ? deltaTotalTicks : 0;
  const busy = total === 0 || !(deltaBusyTicks > 0) ? 0 : Math.min(deltaBusyTicks, total);
  const busyRatio = total === 0 ? 0 : busy / total;
  // ratio <= 1, so active <= ΔE and idle >= 0.
  const activeJoules = deltaJoules * busyRatio;
  return { activeJoules, idleJoules: deltaJoules - activeJoules, busyRatio, deltaBusyTicks: busy, deltaTotalTicks: total };
}

/**
 * One workload's share of a split: ΔE x Δcpu / Δtotal, which is active x Δcpu / Δbusy. When measurement skew makes
 * the workloads' ticks (`sumDeltaCpuTicks`, the sum over the disjoint set the workload belongs to) exceed Δbusy,
 * every share of the set is scaled by Δbusy / Σ, so the set's shares never exceed active. A workload alone (a cgroup,
 * which may nest in another) passes its own ticks as the sum. Negative ticks count as 0.
 */
export function shareJoules(split: EnergySplit, deltaCpuTicks: number, sumDeltaCpuTicks: number = deltaCpuTicks): number {
  if (!(deltaCpuTicks > 0) || split.activeJoules === 0) return 0;
  const denominator = Math.max(split.deltaBusyTicks, sumDeltaCpuTicks, deltaCpuTicks);
  return split.activeJoules * (deltaCpuTicks / denominator);
}

/** The split of ΔE and the share of each of a set of disjoint workloads, given their Δcpu ticks in the same order. */
export function attributeEnergy(
  deltaJoules: number,
  deltaBusyTicks: number,
  deltaTotalTicks: number,
  deltaCpuTicks: readonly number[],
): { split: EnergySplit; sharesJoules: number[] } {
  const split = splitEnergy(deltaJoules, deltaBusyTicks, deltaTotalTicks);
  let sum = 0;
  for (const ticks of deltaCpuTicks) if (ticks > 0) sum += ticks;
  return { split, sharesJoules: deltaCpuTicks.map((ticks) => shareJoules(split, ticks, sum)) };
}

/** Converts a cgroup's CPU usage (microseconds) to clock ticks at `userHz` (USER_HZ, 100 by default). */
export function usecToTicks(usageUsec: number, userHz = 100): number {
  return (usageUsec * userHz) / 1_000_000;
}
