import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** What the sampler knows about the tick it is running. */
export interface SamplerTick {
  /** k in `start + k * interval`. */
  readonly index: number;
  /** The tick's deadline, monotonic milliseconds. */
  readonly scheduledAtMs: number;
  /** When it actually started: after the deadline, or before it by at most the sampler's earlyMs. */
  readonly startedAtMs: number;
}

/** A timer: run `fn` after `delayMs`, return a way to cancel it. */
export type ScheduleFn = (fn: () => void, delayMs: number) => () => void;

/** Options for createSampler. */
export interface SamplerOptions {
  readonly intervalMs: number;
  /** Takes one sample. A throw or rejection is counted as a failed sample; the cadence goes on. */
  readonly sample: (tick: SamplerTick) => void | Promise<void>;
  /** Runs after each sample, once the sampler's own metrics are up to date (render the exposition here). */
  readonly publish?: () => void | Promise<void>;
  readonly registry: Registry;
  /** Prefix of the sampler's own metrics, e.g. `cpu_exporter`. */
  readonly prefix: string;
  /** Monotonic clock, milliseconds; performance.now by default. */
  readonly now?: () => number;
  /** Wall clock, milliseconds since the epoch, for the last-success timestamp; Date.now by default. */
  readonly wallClockMs?: () => number;
  /** Timer; setTimeout by default. */
  readonly schedule?: ScheduleFn;
  /**
   * Node's timers run on a millisecond clock and fire up to about a millisecond before or after their deadline. A
   * wake-up at most earlyMs before its deadline starts the tick at once, early by that much (`startedAtMs` before
   * `scheduledAtMs`; `<prefix>_sampler_lag_seconds` records the distance from the deadline either way); an earlier
   * one sleeps again. Sleeping again for a fraction of a millisecond costs a whole timer millisecond of lateness,
   * so this centres the ticks on their deadlines: measured (`spin-probe.js --early-ms 0|0.5 --interval-ms 100`,
   * 600 ticks each, side by side), p99 |lag| 1.97 -> 0.69 ms, p50 0.60 -> 0.24 ms, CPU per tick 0.32 vs 0.36 ms; at
   * a 1 s interval the full bench saw no difference (p99 1.24 ms either way: a timer a second away rarely fires early)
   * (docs/BENCHMARKS.md, notes). Default 0.5; 0 never starts a tick early. Values never depend on it: power divides
   * by the measured interval.
   */
  readonly earlyMs?: number;
  /**
   * A wake-up at most spinMs before its deadline waits out the rest in a busy loop instead of starting early (with
   * spinMs >= earlyMs a tick never starts early). Default 0 (off): measured, the busy loop doubled the sampler's own
   * CPU per tick (0.31 to 0.65 ms) to take about 0.75 ms off the median lag (docs/BENCHMARKS.md, notes).
   */
  readonly spinMs?: number;
  /** Called with a sample's error. */
  readonly onError?: (error: unknown) => void;
}

/** The sampler's state, for /health. */
export interface SamplerStatus {
  readonly running: boolean;
  readonly intervalMs: number;
  readonly ticks: number;
  readonly missedTicks: number;
  readonly failedSamples: number;
  /** Monotonic time the last tick finished, or undefined before the first. */
  readonly lastTickDoneAtMs: number | undefined;
  /** True when no tick has finished for stallAfterMs: the sampler is stuck. */
  readonly stalled: boolean;
  /** max(3 intervals, interval + 2 s). */
  readonly stallAfterMs: number;
}

/** Samples on a fixed cadence. */
export interface Sampler {
  /** Runs the first tick now, then keeps the cadence. Resolves when the first tick is done. */
  start(): Promise<void>;
  /** Stops the cadence; resolves when a tick in flight has finished. */
  stop(): Promise<void>;
  status(): SamplerStatus;
}

/** Buckets for sampler lag, seconds: 50 µs to 1 s. */
export const SAMPLER_LAG_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

const defaultSchedule: ScheduleFn = (fn, delayMs) => {
  if (delayMs <= 0) {
    // setTimeout(fn, 0) waits a whole millisecond; a due tick should not.
    const immediate = setImmediate(fn);
    return () => clearImmediate(immediate);
  }
  const timer = setTimeout(fn, delayMs);
  return () => clearTimeout(timer);
};

/**
 * Creates a sampler that runs `sample` at `start + k * intervalMs` on the monotonic clock: never setInterval
 * drift, never wall-clock time. A late tick runs at once and its lateness is observed in
 * `<prefix>_sampler_lag_seconds`; when a tick overran whole intervals, the deadlines it overran are counted in
 * `<prefix>_sampler_ticks_missed_total` and the next tick realigns to the grid.
 */
export function createSampler(options: SamplerOptions): Sampler {
  const { intervalMs, registry, prefix } = options;
  if (!(intervalMs > 0)) throw new RangeError(`intervalMs must be positive, got ${intervalMs}`);
  const now = options.now ?? (() => performance.now());
  const wallClockMs = options.wallClockMs ?? Date.now;
  const schedule = options.schedule ?? defaultSchedule;
  const spinMs = options.spinMs ?? 0;
  const earlyMs = options.earlyMs ?? 0.5;
  // A wake-up this close to its deadline runs (busy-waiting the rest when spinMs covers it); an earlier one sleeps again.
  const closeEnoughMs = Math.max(spinMs, earlyMs);
  const stallAfterMs = Math.max(3 * intervalMs, intervalMs + 2000);

  const lag = new Histogram({
    name: `${prefix}_sampler_lag_seconds`,
    help: 'How far from its fixed schedule each sampler tick started: late, or early by less than a timer millisecond.',
    buckets: SAMPLER_LAG_BUCKETS,
    registers: [registry],
  });
  const ticksTotal = new Counter({
    name: `${prefix}_sampler_ticks_total`,
    help: 'Sampler ticks run.',
    registers: [registry],
  });
  const missedTotal = new Counter({
    name: `${prefix}_sampler_ticks_missed_total`,
    help: 'Sampler ticks skipped because an earlier tick overran their deadline.',
    registers: [registry],
  });
  const failuresTotal = new Counter({
    name: `${prefix}_sample_failures_total`,
    help: 'Samples that threw; the sampler kept its cadence.',
    registers: [registry],
  });
  const duration = new Gauge({
    name: `${prefix}_sample_duration_seconds`,
    help: 'How long the last sample took.',
    registers: [registry],
  });
  const lastSuccess = new Gauge({
    name: `${prefix}_last_sample_timestamp_seconds`,
    help: 'Unix time of the last successful sample.',
    registers: [registry],
  });
  ticksTotal.inc(0);
  missedTotal.inc(0);
  failuresTotal.inc(0);

  let running = false;
  let startMs = 0;
  let ticks = 0;
  let missedTicks = 0;
  let failedSamples = 0;
  let lastTickDoneAtMs: number | undefined;
  let cancelTimer: (() => void) | undefined;
  let inFlight: Promise<void> | undefined;

  const deadline = (index: number): number => startMs + index * intervalMs;

  const runTick = async (index: number): Promise<void> => {
    let startedAtMs = now();
    const scheduledAtMs = deadline(index);
    if (startedAtMs < scheduledAtMs && scheduledAtMs - startedAtMs <= spinMs) {
      // Woke early (millisecond timers) and asked to wait out a short remainder rather than sample early.
      while (startedAtMs < scheduledAtMs) startedAtMs = now();
    }
    ticks++;
    ticksTotal.inc();
    lag.observe(Math.abs(startedAtMs - scheduledAtMs) / 1000);
    try {
      await options.sample({ index, scheduledAtMs, startedAtMs });
      lastSuccess.set(wallClockMs() / 1000);
    } catch (error) {
      failedSamples++;
      failuresTotal.inc();
      options.onError?.(error);
    }
    duration.set((now() - startedAtMs) / 1000);
    try {
      await options.publish?.();
    } catch (error) {
      options.onError?.(error);
    }
    lastTickDoneAtMs = now();
  };

  const arm = (index: number): void => {
    if (!running) return;
    const wait = deadline(index) - now();
    // Sleep until the deadline (one within closeEnoughMs runs now: early, or after runTick's busy loop).
    cancelTimer = schedule(
      () => {
        cancelTimer = undefined;
        if (!running) return;
        if (deadline(index) - now() > closeEnoughMs) return arm(index); // woke far too early: sleep again
        inFlight = runTick(index).then(() => {
          inFlight = undefined;
          next(index);
        });
      },
      wait > closeEnoughMs ? wait : 0,
    );
  };

  const next = (index: number): void => {
    if (!running) return;
    // The last deadline that has already passed; every deadline between index and it was overrun.
    const due = Math.floor((now() - startMs) / intervalMs);
    if (due > index + 1) {
      const skipped = due - (index + 1);
      missedTicks += skipped;
      missedTotal.inc(skipped);
      return arm(due);
    }
    arm(index + 1);
  };

  return {
    async start() {
      if (running) return;
      running = true;
      startMs = now();
      inFlight = runTick(0);
      await inFlight;
      inFlight = undefined;
      next(0);
    },
    async stop() {
      running = false;
      cancelTimer?.();
      cancelTimer = undefined;
      await inFlight;
    },
    status() {
      const sinceLastMs = lastTickDoneAtMs === undefined ? 0 : now() - lastTickDoneAtMs;
      return {
        running,
        intervalMs,
        ticks,
        missedTicks,
        failedSamples,
        lastTickDoneAtMs,
        stalled: running && (lastTickDoneAtMs === undefined ? now() - startMs > stallAfterMs : sinceLastMs > stallAfterMs),
        stallAfterMs,
      };
    },
  };
}
