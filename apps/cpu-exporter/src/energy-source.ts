import type { Collector, HealthReport, SamplerTick } from '@proj/metrics-core/metrics';
import type { EnergySource, TickEnergy } from './collector.js';

/** The CPU energy sources attribution can use, best first. IPMI is wall power and never one of them. */
export type CpuEnergySourceName = 'rapl' | 'hwmon' | 'estimate';

/** A producer the selector can choose, and whether it measured anything in its latest sample. */
export interface CandidateSource extends EnergySource {
  /** True when the source could read its meter (a readable zone, a socket counter, /proc/stat) in its latest sample. */
  live(): boolean;
}

/** Options for createBestEnergySource. */
export interface BestEnergySourceOptions {
  /** Best first: rapl, hwmon socket energy, the estimate. A missing one (hwmon off) is left out. */
  readonly candidates: readonly { readonly name: CpuEnergySourceName; readonly source: CandidateSource }[];
  /** Other sources to list on /health as live or not (IPMI): shown, never chosen. */
  readonly others?: readonly { readonly name: string; live(): boolean }[];
  /**
   * Ticks a source that was live may miss and still be chosen (those ticks hand on nothing). Default 3: a socket
   * counter unreadable for a tick would otherwise hand attribution to the next source for that tick, and when it came
   * back its interval, which spans the missed tick (the meter goes on from its last reading), would count that tick's
   * energy a second time, under another `source` label.
   */
  readonly graceTicks?: number;
}

/** The energy attribution splits: the best source's intervals of this tick. */
export interface BestEnergySource extends Collector, EnergySource {
  sample(tick?: SamplerTick): void;
  /** The source chosen in the latest sample; undefined when none was live. */
  chosen(): CpuEnergySourceName | undefined;
  /** Every source's name and whether it was live in the latest sample. */
  sources(): { readonly name: string; readonly live: boolean }[];
}

/**
 * Chooses, each tick, the best CPU energy source that is live: rapl, then hwmon socket energy, then the estimate.
 * Chosen by liveness, not by whether it yielded intervals this tick, so a first reading or a reset of RAPL leaves one
 * tick without energy rather than switching the `source` label for one tick; and a source that was live keeps the
 * choice through up to `graceTicks` ticks of not being live (a read that failed once), handing on nothing for them.
 * Placed after its candidates.
 */
export function createBestEnergySource(options: BestEnergySourceOptions): BestEnergySource {
  const { candidates } = options;
  const others = options.others ?? [];
  const graceTicks = options.graceTicks ?? 3;
  // Per candidate: ticks since it was last live (Infinity: never was).
  const notLiveFor = candidates.map(() => Number.POSITIVE_INFINITY);
  let chosen: CpuEnergySourceName | undefined;
  let last: TickEnergy = { tickIndex: -1, intervals: [] };
  let samples = 0;
  const sources = () => [...candidates.map((c) => ({ name: c.name, live: c.source.live() })), ...others.map((o) => ({ name: o.name, live: o.live() }))];

  return {
    sample(tick) {
      const tickIndex = tick?.index ?? samples;
      samples++;
      const live = candidates.map((c) => c.source.live());
      live.forEach((isLive, i) => (notLiveFor[i] = isLive ? 0 : notLiveFor[i]! + 1));
      const index = candidates.findIndex((_, i) => notLiveFor[i]! <= graceTicks);
      const best = index < 0 ? undefined : candidates[index];
      chosen = best?.name;
      // A source kept through its grace hands on nothing: whatever it holds is from before.
      const produced = best !== undefined && live[index] ? best.source.lastIntervals() : undefined;
      // A producer that did not sample this tick (placed after us by mistake, or failed) hands over nothing stale.
      last = { tickIndex, intervals: produced !== undefined && produced.tickIndex === tickIndex ? produced.intervals : [] };
    },

    lastIntervals: () => last,
    chosen: () => chosen,
    sources,

    health(): HealthReport {
      const all = sources();
      return {
        status: 'ok',
        reasons: [],
        details: {
          power_sources: {
            live: all.filter((s) => s.live).map((s) => s.name),
            not_live: all.filter((s) => !s.live).map((s) => s.name),
            attribution: chosen ?? null,
          },
        },
      };
    },
  };
}
