import type { CpuTimes, Procfs } from '@proj/proc-reader';

/**
 * `/proc/stat` as read once for a sampler tick: the first call for a tick index reads it, later calls for the same
 * index get that reading, or throw the same error (a failed read is a failed read for every reader of that tick). A
 * new index reads again, so neither a reading nor a failure outlives its tick.
 */
export type TickCpuTimes = (tickIndex: number) => CpuTimes;

/**
 * One `/proc/stat` read per tick for the collectors that sample on the same tick (the estimate, then attribution):
 * the file is read when the first of them asks.
 */
export function createTickCpuTimes(procfs: Pick<Procfs, 'readCpuTimes'>): TickCpuTimes {
  let last: { index: number; times: CpuTimes } | { index: number; error: unknown } | undefined;
  return (tickIndex) => {
    if (last?.index !== tickIndex) {
      try {
        last = { index: tickIndex, times: procfs.readCpuTimes() };
      } catch (error) {
        last = { index: tickIndex, error };
      }
    }
    if ('error' in last) throw last.error;
    return last.times;
  };
}
