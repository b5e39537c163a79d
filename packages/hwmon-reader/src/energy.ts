/**
 * The energy an hwmon counter gained between two readings, in microjoules, or null when it went down. Pure.
 *
 * amd_energy and zenergy accumulate 64-bit values that do not wrap in practice; other chips may wrap at a range
 * the hwmon ABI does not publish. Either way a decrease cannot be corrected, so it is a reset: null (skip that
 * interval), never a negative delta. Equal readings are 0.
 */
export function energyDeltaUj(prevUj: number, curUj: number): number | null {
  return curUj >= prevUj ? curUj - prevUj : null;
}

/** What one reading added to a counter's meter. */
export interface HwmonEnergyStep {
  /** Energy gained since the previous reading, in microjoules; null when this reading only sets a baseline. */
  readonly deltaUj: number | null;
  /** Average power since the previous reading; null when deltaUj is. */
  readonly powerWatts: number | null;
  /** Monotonic time since the previous reading; null when there was none. */
  readonly intervalMs: number | null;
  /** Why there is no delta: `first` (no previous reading), `reset` (the counter went down), `clock` (no time passed). */
  readonly skipped?: 'first' | 'reset' | 'clock';
  /** Energy accumulated under this key since the meter first saw it, in joules. Never decreases. */
  readonly totalJoules: number;
}

/** Turns successive energy counter readings into deltas, power and a running total, per key (one per sensor). */
export interface HwmonEnergyMeter {
  /** Feeds one reading taken at monotonic time `atMs`. */
  update(key: string, energyUj: number, atMs: number): HwmonEnergyStep;
  /** Drops the previous reading of `key` (its chip vanished), keeping its total: the next reading is a new baseline. */
  forget(key: string): void;
}

/** Creates an HwmonEnergyMeter. Pure: it holds state but does no I/O and reads no clock. */
export function createHwmonEnergyMeter(): HwmonEnergyMeter {
  const states = new Map<string, { prevUj: number | undefined; prevAtMs: number; totalUj: number }>();
  return {
    update(key, energyUj, atMs) {
      let state = states.get(key);
      if (!state) {
        state = { prevUj: undefined, prevAtMs: atMs, totalUj: 0 };
        states.set(key, state);
      }
      const prevUj = state.prevUj;
      const intervalMs = atMs - state.prevAtMs;
      state.prevUj = energyUj;
      state.prevAtMs = atMs;
      const baseline = (skipped: HwmonEnergyStep['skipped'], interval: number | null): HwmonEnergyStep => ({
        deltaUj: null,
        powerWatts: null,
        intervalMs: interval,
        skipped,
        totalJoules: state.totalUj / 1e6,
      });
      if (prevUj === undefined) return baseline('first', null);
      if (!(intervalMs > 0)) return baseline('clock', null);
      const deltaUj = energyDeltaUj(prevUj, energyUj);
      if (deltaUj === null) return baseline('reset', intervalMs);
      state.totalUj += deltaUj;
      // µJ per ms is mW: divide by 1000 for watts.
      return { deltaUj, powerWatts: deltaUj / intervalMs / 1000, intervalMs, totalJoules: state.totalUj / 1e6 };
    },
    forget(key) {
      const state = states.get(key);
      if (state) state.prevUj = undefined;
    },
  };
}
