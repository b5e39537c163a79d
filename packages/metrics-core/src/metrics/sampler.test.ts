import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { createSampler, type SamplerOptions, type SamplerTick } from './sampler.js';

/** A monotonic clock and a timer queue that only move when the test says so. */
function fakeTime() {
  let t = 0;
  let timers: { at: number; fn: () => void }[] = [];
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    now: () => t,
    /** Moves the clock by `ms` inside a sample, as a slow read would. */
    spend(ms: number) {
      t += ms;
    },
    schedule(fn: () => void, delayMs: number) {
      const timer = { at: t + Math.max(0, delayMs), fn };
      timers.push(timer);
      return () => {
        timers = timers.filter((x) => x !== timer);
      };
    },
    /** Fires every timer due up to `target`, in order, letting each tick finish. */
    async advanceTo(target: number) {
      await settle();
      for (;;) {
        const due = timers.filter((x) => x.at <= target).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((x) => x !== due);
        t = Math.max(t, due.at);
        due.fn();
        await settle();
      }
      t = Math.max(t, target);
    },
  };
}

/** Waits on the real clock (performance.now, whatever Date says) until `done`; fails after 20 s, the hang it stands for. */
async function realTicks(done: () => boolean): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!done()) {
    if (performance.now() > deadline) throw new Error('the sampler stopped ticking');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function valueOf(registry: Registry, name: string): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return metric?.values[0]?.value;
}

function setup(overrides: (time: ReturnType<typeof fakeTime>, ticks: SamplerTick[]) => Partial<SamplerOptions> = () => ({})) {
  const time = fakeTime();
  const registry = new Registry();
  const ticks: SamplerTick[] = [];
  const sampler = createSampler({
    intervalMs: 1000,
    registry,
    prefix: 'test_exporter',
    now: time.now,
    wallClockMs: () => 1_700_000_000_000 + time.now(),
    schedule: time.schedule,
    sample: (tick) => {
      ticks.push(tick);
    },
    ...overrides(time, ticks),
  });
  return { time, registry, ticks, sampler };
}

describe('createSampler', () => {
  it('runs the first tick at start, then on start + k * interval', async () => {
    const { time, ticks, sampler, registry } = setup();
    await sampler.start();
    await time.advanceTo(5000);
    await sampler.stop();
    expect(ticks.map((t) => [t.index, t.scheduledAtMs, t.startedAtMs])).toEqual([
      [0, 0, 0],
      [1, 1000, 1000],
      [2, 2000, 2000],
      [3, 3000, 3000],
      [4, 4000, 4000],
      [5, 5000, 5000],
    ]);
    expect(await valueOf(registry, 'test_exporter_sampler_ticks_total')).toBe(6);
    expect(await valueOf(registry, 'test_exporter_sampler_ticks_missed_total')).toBe(0);
    expect(await valueOf(registry, 'test_exporter_last_sample_timestamp_seconds')).toBe(1_700_000_005);
  });

  it('does not drift when samples take time', async () => {
    const { time, ticks, sampler } = setup((time, ticks) => ({
      sample: (tick) => {
        ticks.push(tick);
        time.spend(300);
      },
    }));
    await sampler.start();
    await time.advanceTo(4000);
    await sampler.stop();
    expect(ticks.map((t) => t.startedAtMs)).toEqual([0, 1000, 2000, 3000, 4000]);
  });

  it('counts overrun deadlines as missed, runs the latest one late, and realigns', async () => {
    const time = fakeTime();
    const registry = new Registry();
    const started: number[] = [];
    const sampler = createSampler({
      intervalMs: 1000,
      registry,
      prefix: 'test_exporter',
      now: time.now,
      schedule: time.schedule,
      sample: ({ index }) => {
        started.push(time.now());
        if (index === 1) time.spend(2500); // overruns the deadlines at 2000 and 3000
      },
    });
    await sampler.start();
    await time.advanceTo(6000);
    await sampler.stop();
    expect(started).toEqual([0, 1000, 3500, 4000, 5000, 6000]);
    expect(sampler.status().missedTicks).toBe(1);
    expect(await valueOf(registry, 'test_exporter_sampler_ticks_missed_total')).toBe(1);
    const lag = (await registry.getMetricsAsJSON()).find((m) => m.name === 'test_exporter_sampler_lag_seconds')!;
    const sum = lag.values.find((v) => (v as { metricName?: string }).metricName === 'test_exporter_sampler_lag_seconds_sum')!.value;
    expect(sum).toBeCloseTo(0.5, 9);
  });

  describe('a timer that fires early (Node timers run on a millisecond clock)', () => {
    /** A timer that fires `earlyByMs` before a deadline further off than that, and on time for a shorter wait. */
    const firingEarly = (time: ReturnType<typeof fakeTime>, earlyByMs: number) => (fn: () => void, delayMs: number) =>
      time.schedule(fn, delayMs > earlyByMs ? delayMs - earlyByMs : delayMs);
    const lagSum = async (registry: Registry) =>
      (await registry.getMetricsAsJSON())
        .find((m) => m.name === 'test_exporter_sampler_lag_seconds')!
        .values.find((v) => (v as { metricName?: string }).metricName === 'test_exporter_sampler_lag_seconds_sum')!.value;

    it('starts the tick at once when it woke at most earlyMs (0.5 by default) early, and records how early', async () => {
      const { time, ticks, sampler, registry } = setup((time) => ({ schedule: firingEarly(time, 0.3) }));
      await sampler.start();
      await time.advanceTo(2000);
      await sampler.stop();
      expect(ticks.map((t) => [t.index, t.scheduledAtMs, t.startedAtMs])).toEqual([
        [0, 0, 0],
        [1, 1000, 999.7],
        [2, 2000, 1999.7],
      ]);
      expect(await lagSum(registry)).toBeCloseTo(0.0006, 9);
    });

    it('sleeps again when it woke earlier than earlyMs, and then starts on time', async () => {
      const { time, ticks, sampler, registry } = setup((time) => ({ schedule: firingEarly(time, 0.8) }));
      await sampler.start();
      await time.advanceTo(2000);
      await sampler.stop();
      expect(ticks.map((t) => t.startedAtMs)).toEqual([0, 1000, 2000]);
      expect(await lagSum(registry)).toBe(0);
    });

    it('never starts a tick early with earlyMs 0', async () => {
      const { time, ticks, sampler } = setup((time) => ({ schedule: firingEarly(time, 0.3), earlyMs: 0 }));
      await sampler.start();
      await time.advanceTo(2000);
      await sampler.stop();
      expect(ticks.map((t) => t.startedAtMs)).toEqual([0, 1000, 2000]);
    });
  });

  it('keeps its cadence when a sample throws, and counts the failure', async () => {
    const errors: unknown[] = [];
    const { time, sampler, registry } = setup(() => ({
      sample: ({ index }) => {
        if (index === 2) throw new Error('boom');
      },
      onError: (e) => errors.push(e),
    }));
    await sampler.start();
    await time.advanceTo(4000);
    await sampler.stop();
    expect(sampler.status()).toMatchObject({ ticks: 5, failedSamples: 1 });
    expect(errors).toHaveLength(1);
    expect(await valueOf(registry, 'test_exporter_sample_failures_total')).toBe(1);
  });

  it('publishes after each sample, with its own metrics already updated', async () => {
    const seen: (number | undefined)[] = [];
    const registry = new Registry();
    const { time, sampler } = setup(() => ({
      registry,
      publish: async () => {
        seen.push(await valueOf(registry, 'test_exporter_sampler_ticks_total'));
      },
    }));
    await sampler.start();
    await time.advanceTo(2000);
    await sampler.stop();
    expect(seen).toEqual([1, 2, 3]);
  });

  it('reports a stall when a sample never finishes', async () => {
    let hang = false;
    const { time, sampler } = setup(() => ({ sample: () => (hang ? new Promise<void>(() => {}) : undefined) }));
    await sampler.start();
    await time.advanceTo(1000);
    expect(sampler.status().stalled).toBe(false);
    hang = true;
    await time.advanceTo(2000);
    // tick 1 finished at 1000; tick 2 started at 2000 and never finishes
    await time.advanceTo(3900);
    expect(sampler.status()).toMatchObject({ stalled: false });
    await time.advanceTo(4100);
    expect(sampler.status()).toMatchObject({ stalled: true, stallAfterMs: 3000 });
  });

  it('stops: no tick after stop()', async () => {
    const { time, ticks, sampler } = setup();
    await sampler.start();
    await time.advanceTo(1000);
    await sampler.stop();
    await time.advanceTo(5000);
    expect(ticks).toHaveLength(2);
    expect(sampler.status().running).toBe(false);
  });

  it('keeps time on the real clock too', async () => {
    const registry = new Registry();
    const ticks: SamplerTick[] = [];
    const sampler = createSampler({ intervalMs: 20, registry, prefix: 'real', sample: (tick) => void ticks.push(tick) });
    await sampler.start();
    // However long a loaded machine takes to run five ticks: what is checked is where they fall, not how fast.
    await realTicks(() => ticks.length >= 5);
    await sampler.stop();
    // Deadlines are on the grid, and no tick ran more than earlyMs (0.5 by default) before its deadline.
    for (const tick of ticks) {
      expect(tick.scheduledAtMs - ticks[0]!.scheduledAtMs).toBeCloseTo(tick.index * 20, 6);
      expect(tick.startedAtMs).toBeGreaterThanOrEqual(tick.scheduledAtMs - 0.5);
    }
  }, 30_000);

  it('runs on the monotonic clock by default: a wall clock set back an hour neither stops nor shifts the ticks', async () => {
    const registry = new Registry();
    const ticks: (SamplerTick & { seenAtMs: number })[] = [];
    const realDateNow = Date.now.bind(Date);
    let shiftMs = 0;
    const wallClock = vi.spyOn(Date, 'now').mockImplementation(() => realDateNow() + shiftMs);
    try {
      const startedAtMs = performance.now();
      const sampler = createSampler({
        intervalMs: 30,
        registry,
        prefix: 'real',
        sample: (tick) => {
          ticks.push({ ...tick, seenAtMs: performance.now() });
          if (tick.index === 1) shiftMs = -3_600_000; // NTP or an operator sets the clock back an hour
        },
      });
      await sampler.start();
      // On Date.now the next deadline would be an hour away: no third tick would come.
      await realTicks(() => ticks.length >= 4);
      await sampler.stop();
      for (const tick of ticks) {
        // Times on performance.now's scale, not the epoch's.
        expect(tick.startedAtMs).toBeGreaterThanOrEqual(startedAtMs);
        expect(tick.startedAtMs).toBeLessThanOrEqual(tick.seenAtMs);
        expect(tick.scheduledAtMs - ticks[0]!.scheduledAtMs).toBeCloseTo(tick.index * 30, 6);
      }
      // The last-success timestamp is the one wall-clock value, and it follows the wall clock back.
      expect(await valueOf(registry, 'real_last_sample_timestamp_seconds')).toBeLessThan((realDateNow() - 3_000_000) / 1000);
    } finally {
      wallClock.mockRestore();
    }
  }, 30_000);

  it('rejects a non-positive interval', () => {
    expect(() => createSampler({ intervalMs: 0, registry: new Registry(), prefix: 'x', sample: () => {} })).toThrow(RangeError);
  });
});
