import { materializePowercapTree, type MaterializedTree } from '@proj/fixtures';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverZones, type PowercapZone } from './discover.js';
import { createEnergyMeter } from './meter.js';
import { readEnergy } from './read.js';

const trees: MaterializedTree[] = [];
afterEach(() => {
  while (trees.length > 0) trees.pop()!.remove();
});

/** Discovers a fixture tree and returns a stepper that reads it at given monotonic times through one meter. */
async function meterOn(name: string) {
  const tree = materializePowercapTree(name);
  trees.push(tree);
  const { zones } = await discoverZones({ sysfsRoot: tree.root });
  const meter = createEnergyMeter();
  const zone = (id: string): PowercapZone => zones.find((z) => z.id === id)!;
  const step = async (atMs: number) => {
    const { readings } = await readEnergy(zones, { now: () => atMs });
    return new Map(readings.map((r) => [r.zone.id, meter.update(r.zone.id, r.energyUj, r.atMs, r.zone.maxEnergyRangeUj)]));
  };
  return { tree, zone, step };
}

// Ranges real machines report (tools/fixtures/powercap/README.md).
const INTEL_RANGE = 262143328850;
const AMD_RANGE = 65532610987;

describe('energy meter on a fixture tree driven forward', () => {
  it('gives exact power and joules', async () => {
    const { tree, step } = await meterOn('intel-laptop-psys-symlinks');
    const first = await step(0);
    expect(first.get('intel-rapl:0')).toMatchObject({ deltaUj: null, powerWatts: null, skipped: 'first', totalJoules: 0 });

    // package-0 at 12.5 W for 1 s, then 40 W for 0.5 s; core at 3 W.
    tree.setEnergyUj('intel-rapl:0', 26963529117 + 12_500_000);
    tree.setEnergyUj('intel-rapl:0:0', 7980278886 + 3_000_000);
    const second = await step(1000);
    expect(second.get('intel-rapl:0')).toMatchObject({ deltaUj: 12_500_000, powerWatts: 12.5, intervalMs: 1000, totalJoules: 12.5 });
    expect(second.get('intel-rapl:0:0')).toMatchObject({ deltaUj: 3_000_000, powerWatts: 3, totalJoules: 3 });
    expect(second.get('intel-rapl:1')).toMatchObject({ deltaUj: 0, powerWatts: 0, totalJoules: 0 });

    tree.setEnergyUj('intel-rapl:0', 26963529117 + 12_500_000 + 20_000_000);
    const third = await step(1500);
    expect(third.get('intel-rapl:0')).toMatchObject({ deltaUj: 20_000_000, powerWatts: 40, intervalMs: 500, totalJoules: 32.5 });
  });

  it.each([
    ['Intel package', 'intel-laptop-psys-symlinks', 'intel-rapl:0', 262143328850],
    ['server DRAM', 'xeon-2socket-dram', 'intel-rapl:1:0', 65712999613],
    ['AMD package', 'amd-epyc-7401p', 'intel-rapl:0', 65532610987],
  ])('keeps the total rising by the true amount across a wrap at the %s range', async (_label, name, id, max) => {
    const { tree, zone, step } = await meterOn(name);
    expect(zone(id).maxEnergyRangeUj).toBe(max);
    tree.setEnergyUj(id, max - 2_000_000);
    await step(0);
    tree.setEnergyUj(id, max - 500_000);
    expect((await step(1000)).get(id)).toMatchObject({ deltaUj: 1_500_000, wrapped: false, totalJoules: 1.5 });
    tree.setEnergyUj(id, 7_000_000); // wrapped: 0.5 J to the top, then 7 J
    expect((await step(2000)).get(id)).toMatchObject({ deltaUj: 7_500_000, powerWatts: 7.5, wrapped: true, totalJoules: 9 });
    tree.setEnergyUj(id, 9_000_000);
    expect((await step(3000)).get(id)).toMatchObject({ deltaUj: 2_000_000, wrapped: false, totalJoules: 11 });
  });

  it('handles two wraps close together at the AMD range', async () => {
    const { tree, step } = await meterOn('amd-epyc-7401p');
    const max = 65532610987;
    tree.setEnergyUj('intel-rapl:0', max - 100);
    await step(0);
    tree.setEnergyUj('intel-rapl:0', 400_000_000 - 100); // 400 J in a second
    expect((await step(1000)).get('intel-rapl:0')).toMatchObject({ deltaUj: 400_000_000, wrapped: true });
    tree.setEnergyUj('intel-rapl:0', max - 50);
    expect((await step(2000)).get('intel-rapl:0')?.deltaUj).toBe(max - 50 - (400_000_000 - 100));
    tree.setEnergyUj('intel-rapl:0', 100);
    expect((await step(3000)).get('intel-rapl:0')).toMatchObject({ deltaUj: 150, wrapped: true });
  });

  it('skips one interval when a counter without a usable range goes down (reset)', async () => {
    const { tree, step } = await meterOn('malformed-values');
    await step(0);
    tree.setEnergyUj('intel-rapl:1', 206999075695 + 5_000_000);
    expect((await step(1000)).get('intel-rapl:1')).toMatchObject({ powerWatts: 5, totalJoules: 5 });
    tree.setEnergyUj('intel-rapl:1', 1_000_000); // module reloaded: the counter restarted
    expect((await step(2000)).get('intel-rapl:1')).toMatchObject({ deltaUj: null, powerWatts: null, skipped: 'reset', totalJoules: 5 });
    tree.setEnergyUj('intel-rapl:1', 3_000_000);
    expect((await step(3000)).get('intel-rapl:1')).toMatchObject({ deltaUj: 2_000_000, powerWatts: 2, totalJoules: 7 });
  });
});

describe('createEnergyMeter', () => {
  it('skips an interval longer than maxGapMs instead of guessing how many wraps it held', () => {
    const meter = createEnergyMeter({ maxGapMs: 10_000 });
    meter.update('z', 100, 0, 1000);
    expect(meter.update('z', 50, 20_000, 1000)).toMatchObject({ skipped: 'gap', deltaUj: null, intervalMs: 20_000 });
    expect(meter.update('z', 60, 21_000, 1000)).toMatchObject({ deltaUj: 10 });
  });

  it('skips a reading whose clock did not advance', () => {
    const meter = createEnergyMeter();
    meter.update('z', 100, 5, 1000);
    expect(meter.update('z', 200, 5, 1000)).toMatchObject({ skipped: 'clock', powerWatts: null });
  });

  it('takes a counter that steps back by 1 µJ for a reset, not for a whole range gained', () => {
    const meter = createEnergyMeter();
    meter.update('z', 5_000_000, 0, INTEL_RANGE);
    expect(meter.update('z', 4_999_999, 1000, INTEL_RANGE)).toMatchObject({ skipped: 'reset', deltaUj: null, totalJoules: 0 });
    expect(meter.update('z', 6_999_999, 2000, INTEL_RANGE)).toMatchObject({ deltaUj: 2_000_000, powerWatts: 2, totalJoules: 2 });
    // AMD's range: a step back would read as 65.5 kJ in a second
    meter.update('a', 1_000_000, 0, AMD_RANGE);
    expect(meter.update('a', 999_999, 1000, AMD_RANGE)).toMatchObject({ skipped: 'reset', totalJoules: 0 });
  });

  it('still corrects a real wrap at full load, at the cadence and across a long unreadable stretch', () => {
    const meter = createEnergyMeter();
    // 400 W for 1 s across AMD's wrap
    meter.update('a', AMD_RANGE - 100_000_000, 0, AMD_RANGE);
    expect(meter.update('a', 300_000_000, 1000, AMD_RANGE)).toMatchObject({ wrapped: true, deltaUj: 400_000_000, powerWatts: 400 });
    // 400 W for 100 s (a zone unreadable for a while), still one wrap
    meter.update('b', AMD_RANGE - 10_000_000_000, 0, AMD_RANGE);
    expect(meter.update('b', 30_000_000_000, 100_000, AMD_RANGE)).toMatchObject({ wrapped: true, powerWatts: 400 });
  });

  it('recovers every wrap at a plausible power (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(INTEL_RANGE, AMD_RANGE),
        fc.integer({ min: 0, max: 10 ** 9 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 100, max: 10_000 }),
        (max, beforeWrapUj, watts, dtMs) => {
          const increment = watts * dtMs * 1000;
          fc.pre(increment > beforeWrapUj);
          const meter = createEnergyMeter();
          meter.update('z', max - beforeWrapUj, 0, max);
          expect(meter.update('z', increment - beforeWrapUj, dtMs, max)).toMatchObject({ wrapped: true, deltaUj: increment });
        },
      ),
    );
  });

  it('forgets a baseline but keeps the total', () => {
    const meter = createEnergyMeter();
    meter.update('z', 0, 0, null);
    meter.update('z', 4_000_000, 1000, null);
    meter.forget('z');
    expect(meter.update('z', 10, 2000, null)).toMatchObject({ skipped: 'first', totalJoules: 4 });
    expect(meter.update('z', 1_000_010, 3000, null)).toMatchObject({ totalJoules: 5 });
  });

  it('totals the true energy of any sequence of sub-range increments on a wrapping counter (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 2 ** 40 }).chain((max) =>
          fc.tuple(
            fc.constant(max),
            fc.integer({ min: 0, max }),
            fc.array(fc.tuple(fc.integer({ min: 0, max: max - 1 }), fc.integer({ min: 1, max: 5000 })), { maxLength: 50 }),
          ),
        ),
        ([max, start, steps]) => {
          // The arithmetic alone: any increment below the range, at any power.
          const meter = createEnergyMeter({ maxPlausibleWatts: Number.POSITIVE_INFINITY });
          let counter = start;
          let atMs = 0;
          let trueUj = 0;
          meter.update('z', counter, atMs, max);
          for (const [increment, dtMs] of steps) {
            counter = increment <= max - counter ? counter + increment : increment - (max - counter);
            atMs += dtMs;
            trueUj += increment;
            const step = meter.update('z', counter, atMs, max);
            expect(step.deltaUj).toBe(increment);
            expect(step.powerWatts).toBeGreaterThanOrEqual(0);
          }
          expect(meter.update('z', counter, atMs + 1, max).totalJoules).toBeCloseTo(trueUj / 1e6, 6);
        },
      ),
    );
  });

  it('never reports negative power or a falling total, whatever the readings (property)', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 1, max: 2 ** 40 }), { nil: null }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: -5, max: 200_000 }))),
        (max, readings) => {
          const meter = createEnergyMeter();
          let atMs = 0;
          let lastTotal = 0;
          for (const [energyUj, dtMs] of readings) {
            atMs += dtMs;
            const step = meter.update('z', energyUj, atMs, max);
            if (step.powerWatts !== null) expect(step.powerWatts).toBeGreaterThanOrEqual(0);
            if (max !== null && step.deltaUj !== null) expect(step.deltaUj).toBeLessThanOrEqual(Math.max(max, energyUj));
            expect(step.totalJoules).toBeGreaterThanOrEqual(lastTotal);
            lastTotal = step.totalJoules;
          }
        },
      ),
    );
  });
});
