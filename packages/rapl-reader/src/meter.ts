import { wrapDelta } from './wrap.js';

/** What one reading added to a zone's meter. */
export interface MeterStep {
  /** Energy gained since the previous reading, in microjoules; null when this reading only sets a baseline. */
  readonly deltaUj: number | null;
  /** Average power since the previous reading; null when deltaUj is. */
  readonly powerWatts: number | null;
  /** Monotonic time since the previous reading; null when there was none. */
  readonly intervalMs: number | null;
  /** True when the delta crossed a counter wraparound. */
  readonly wrapped: boolean;
  /**
   * Why there is no delta: `first` (no previous reading), `reset` (the counter went down and no usable range
   * says by how much it wrapped, or the wrapped delta would mean an implausible power), `gap` (the readings are
   * too far apart to rule out more than one wrap), `clock` (the monotonic time did not advance).
   */
  readonly skipped?: 'first' | 'reset' | 'gap' | 'clock';
  /** Energy accumulated under this key since the meter first saw it, in joules. Never decreases. */
  readonly totalJoules: number;
}

/** Turns successive counter readings into deltas, power and a running total, per key (one key per zone). */
export interface EnergyMeter {
  /** Feeds one reading taken at monotonic time `atMs`. */
  update(key: string, energyUj: number, atMs: number, maxEnergyRangeUj: number | null): MeterStep;
  /**
   * Drops the previous reading of `key` (its zone vanished, say), keeping its total: the next reading is a new
   * baseline instead of a delta against a counter that may have been reset meanwhile.
   */
  forget(key: string): void;
}

/** Options for createEnergyMeter. */
export interface EnergyMeterOptions {
  /**
   * Readings further apart than this are not trusted to span at most one wraparound, so that interval is
   * skipped. 120 s by default: AMD's 65.5 kJ range would need over 540 W in one package to wrap twice in it.
   */
  readonly maxGapMs?: number;
  /**
   * A decrease is taken for a wraparound only when the wrapped delta means at most this average power; above it,
   * the counter was reset (or stepped back), and the interval is skipped. A counter that steps back by 1 µJ
   * would otherwise read as a whole range gained: 262 kJ in one second, 262 kW. 2000 W by default, several
   * times what any one RAPL zone draws, while a real wrap at a 1 s cadence is a few hundred watts.
   */
  readonly maxPlausibleWatts?: number;
}

interface MeterState {
  prevUj: number | undefined;
  prevAtMs: number;
  totalUj: number;
}

/** Creates an EnergyMeter. Pure: it holds state but does no I/O and reads no clock. */
export function createEnergyMeter(options: EnergyMeterOptions = {}): EnergyMeter {
  const maxGapMs = options.maxGapMs ?? 120_000;
  const maxPlausibleWatts = options.maxPlausibleWatts ?? 2000;
  const states = new Map<string, MeterState>();

  const baseline = (state: MeterState, energyUj: number, atMs: number, skipped: MeterStep['skipped'], intervalMs: number | null): MeterStep => {
    state.prevUj = energyUj;
    state.prevAtMs = atMs;
    return { deltaUj: null, powerWatts: null, intervalMs, wrapped: false, skipped, totalJoules: state.totalUj / 1e6 };
  };

  return {
    update(key, energyUj, atMs, maxEnergyRangeUj) {
      let state = states.get(key);
      if (!state) {
        state = { prevUj: undefined, prevAtMs: atMs, totalUj: 0 };
        states.set(key, state);
      }
      if (state.prevUj === undefined) return baseline(state, energyUj, atMs, 'first', null);
      const intervalMs = atMs - state.prevAtMs;
      if (!(intervalMs > 0)) return baseline(state, energyUj, atMs, 'clock', null);
      if (intervalMs > maxGapMs) return baseline(state, energyUj, atMs, 'gap', intervalMs);
      const deltaUj = wrapDelta(state.prevUj, energyUj, maxEnergyRangeUj);
      if (deltaUj === null) return baseline(state, energyUj, atMs, 'reset', intervalMs);
      const wrapped = energyUj < state.prevUj;
      // µJ per ms is mW: divide by 1000 for watts.
      const powerWatts = deltaUj / intervalMs / 1000;
      if (wrapped && powerWatts > maxPlausibleWatts) return baseline(state, energyUj, atMs, 'reset', intervalMs);
      state.prevUj = energyUj;
      state.prevAtMs = atMs;
      state.totalUj += deltaUj;
      return {
        deltaUj,
        powerWatts,
        intervalMs,
        wrapped,
        totalJoules: state.totalUj / 1e6,
      };
    },
    forget(key) {
      const state = states.get(key);
      if (state) state.prevUj = undefined;
    },
  };
}
