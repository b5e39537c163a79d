import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

/** A powercap zone the writer drives. */
export interface WriterZone {
  /** The zone directory under class/powercap: `intel-rapl:0:1`. */
  readonly id: string;
  /** The exported zone label: `package_0`, `core`, `psys`. */
  readonly zone: string;
  /** Where the counter wraps; null: it never does. */
  readonly maxEnergyRangeUj: number | null;
}

/** Power of a zone at full nominal load, by zone label: a laptop-class part. Pure. */
export function nominalPowerWatts(zone: string): number {
  if (/^package_\d+$/.test(zone)) return 18;
  if (/^package_\d+_die_\d+$/.test(zone)) return 9;
  switch (zone) {
    case 'core':
      return 8; // core and uncore stay below their package, as on real parts
    case 'uncore':
      return 2;
    case 'dram':
      return 3;
    case 'psys':
      return 28; // the whole platform: more than the package
    default:
      return 5;
  }
}

/** A slow load wave between 0.7 and 1.3 (90 s period), shared by every zone so their ratios hold. Pure. */
export function loadFactor(seconds: number): number {
  return 1 + 0.3 * Math.sin((2 * Math.PI * seconds) / 90);
}

/**
 * A counter after gaining `deltaUj`, wrapped the way rapl-reader undoes it (`(max - prev) + cur` for one
 * wrap), and how many times it wrapped. Without a range it never wraps. Pure.
 */
export function advanceCounter(energyUj: number, deltaUj: number, maxEnergyRangeUj: number | null): { energyUj: number; wraps: number } {
  let next = energyUj + deltaUj;
  let wraps = 0;
  if (maxEnergyRangeUj !== null && maxEnergyRangeUj > 0) {
    while (next > maxEnergyRangeUj) {
      next -= maxEnergyRangeUj;
      wraps++;
    }
  }
  return { energyUj: next, wraps };
}

/** What the writer has done to one zone. */
export interface WriterZoneState {
  /** The value in energy_uj now. */
  readonly energyUj: number;
  /** Energy added since the writer started, in microjoules: what a wrap-corrected reader must see. */
  readonly totalUj: number;
  readonly wraps: number;
  /** The power it is being driven at now. */
  readonly powerWatts: number;
}

/** Options for createEnergyWriter. */
export interface EnergyWriterOptions {
  /** The sysfs root holding class/powercap/<id>/energy_uj. */
  readonly sysfsRoot: string;
  readonly zones: readonly WriterZone[];
  /** How often the counters move; RAPL's own update is ~1 ms, 100 ms is plenty for 1 s samplers. */
  readonly tickMs?: number;
  /** Monotonic milliseconds; performance.now by default. */
  readonly now?: () => number;
  /** Power of a zone after `seconds` of running; nominalPowerWatts x loadFactor by default. */
  readonly powerWatts?: (zone: WriterZone, seconds: number) => number;
}

/** Moves energy_uj files forward like the kernel does, so exporters on a fixture tree see real power. */
export interface EnergyWriter {
  readonly zones: readonly WriterZone[];
  /** Starts ticking every tickMs. */
  start(): void;
  /** Applies the time elapsed since the last tick: what each timer tick does. */
  tick(): void;
  /** Stops the counters where they are (after applying the time up to now); resume() goes on from there. */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /** Drives a zone at a fixed power from now on (undefined: back to the default model). */
  setPowerWatts(id: string, watts: number | undefined): void;
  state(id: string): WriterZoneState;
  stop(): void;
}

/** Creates a writer over zones whose energy_uj files already exist; it starts from their current values. */
export function createEnergyWriter(options: EnergyWriterOptions): EnergyWriter {
  const now = options.now ?? (() => performance.now());
  const tickMs = options.tickMs ?? 100;
  const model = options.powerWatts ?? ((zone: WriterZone, seconds: number) => nominalPowerWatts(zone.zone) * loadFactor(seconds));
  const fileOf = (id: string) => join(options.sysfsRoot, 'class', 'powercap', id, 'energy_uj');
  const states = new Map(
    options.zones.map((zone) => {
      const energyUj = Number(readFileSync(fileOf(zone.id), 'utf8').trim());
      if (!Number.isSafeInteger(energyUj)) throw new Error(`${fileOf(zone.id)}: not a counter value`);
      return [zone.id, { zone, energyUj, totalUj: 0, wraps: 0, carryUj: 0, override: undefined as number | undefined, powerWatts: 0 }];
    }),
  );
  let runningMs = 0;
  let last = now();
  let paused = false;
  let timer: NodeJS.Timeout | undefined;

  const write = (id: string, energyUj: number) => {
    // Write then rename: a reader never sees a truncated file.
    const file = fileOf(id);
    writeFileSync(`${file}.tmp`, `${energyUj}\n`);
    renameSync(`${file}.tmp`, file);
  };

  const tick = () => {
    const at = now();
    const elapsedMs = at - last;
    last = at;
    if (paused || elapsedMs <= 0) return;
    runningMs += elapsedMs;
    for (const [id, s] of states) {
      s.powerWatts = s.override ?? model(s.zone, runningMs / 1000);
      // W x ms = mJ; keep the fraction of a microjoule for the next tick.
      const exactUj = s.powerWatts * elapsedMs * 1000 + s.carryUj;
      const deltaUj = Math.floor(exactUj);
      s.carryUj = exactUj - deltaUj;
      const next = advanceCounter(s.energyUj, deltaUj, s.zone.maxEnergyRangeUj);
      s.energyUj = next.energyUj;
      s.wraps += next.wraps;
      s.totalUj += deltaUj;
      write(id, s.energyUj);
    }
  };

  const stateOf = (id: string) => {
    const s = states.get(id);
    if (!s) throw new Error(`the writer does not drive zone ${id}`);
    return s;
  };

  return {
    zones: options.zones,
    start() {
      if (timer) return;
      last = now();
      timer = setInterval(tick, tickMs);
      timer.unref();
    },
    tick,
    pause() {
      tick();
      paused = true;
    },
    resume() {
      last = now();
      paused = false;
    },
    get paused() {
      return paused;
    },
    setPowerWatts(id, watts) {
      tick();
      stateOf(id).override = watts;
    },
    state(id) {
      const s = stateOf(id);
      return { energyUj: s.energyUj, totalUj: s.totalUj, wraps: s.wraps, powerWatts: s.powerWatts };
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
