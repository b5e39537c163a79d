import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createHwmonEnergyMeter, energyDeltaUj } from './energy.js';

describe('energyDeltaUj', () => {
  it('is the difference when the counter rose or stayed, null when it went down', () => {
    expect(energyDeltaUj(100, 350)).toBe(250);
    expect(energyDeltaUj(100, 100)).toBe(0);
    expect(energyDeltaUj(2 ** 52, 5)).toBeNull();
  });
});

describe('createHwmonEnergyMeter', () => {
  it('sets a baseline, then gives delta, power and total', () => {
    const meter = createHwmonEnergyMeter();
    expect(meter.update('hwmon0/energy7', 13_260_000_000, 0)).toMatchObject({ deltaUj: null, skipped: 'first', totalJoules: 0 });
    const step = meter.update('hwmon0/energy7', 13_275_000_000, 1000);
    expect(step).toEqual({ deltaUj: 15_000_000, powerWatts: 15, intervalMs: 1000, totalJoules: 15 });
  });

  it('treats a decrease as a reset: that interval is skipped and the total keeps its value', () => {
    const meter = createHwmonEnergyMeter();
    meter.update('k', 5_000_000, 0);
    meter.update('k', 7_000_000, 1000);
    expect(meter.update('k', 1_000_000, 2000)).toEqual({ deltaUj: null, powerWatts: null, intervalMs: 1000, skipped: 'reset', totalJoules: 2 });
    expect(meter.update('k', 4_000_000, 3000)).toMatchObject({ deltaUj: 3_000_000, powerWatts: 3, totalJoules: 5 });
  });

  it('skips a reading whose clock did not advance, and starts over after forget', () => {
    const meter = createHwmonEnergyMeter();
    meter.update('k', 0, 10);
    expect(meter.update('k', 5, 10).skipped).toBe('clock');
    meter.forget('k');
    expect(meter.update('k', 9, 20).skipped).toBe('first');
  });

  it('never yields a negative delta or power, and its total never decreases (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 2 ** 40 }), fc.integer({ min: -5, max: 2000 })), { maxLength: 40 }), (steps) => {
        const meter = createHwmonEnergyMeter();
        let atMs = 0;
        let total = 0;
        for (const [energyUj, advanceMs] of steps) {
          atMs += advanceMs;
          const step = meter.update('k', energyUj, atMs);
          if (step.deltaUj !== null) expect(step.deltaUj).toBeGreaterThanOrEqual(0);
          if (step.powerWatts !== null) expect(step.powerWatts).toBeGreaterThanOrEqual(0);
          expect(step.totalJoules).toBeGreaterThanOrEqual(total);
          total = step.totalJoules;
        }
      }),
    );
  });
});
