import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attributeEnergy, shareJoules, splitEnergy, usecToTicks } from './split.js';

/** Relative tolerance for float rounding: a few ulps of the larger side. */
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));

/** The energy between two readings of a counter that wraps at `max` (what the caller hands in as ΔE). */
const wrapCorrected = (prevUj: number, curUj: number, maxUj: number) => (curUj >= prevUj ? curUj - prevUj : maxUj - prevUj + curUj) / 1e6;

describe('splitEnergy', () => {
  it('splits by busy/total: 100 J at 25 % busy is 25 J active, 75 J idle', () => {
    expect(splitEnergy(100, 50, 200)).toEqual({ activeJoules: 25, idleJoules: 75, busyRatio: 0.25, deltaBusyTicks: 50, deltaTotalTicks: 200 });
  });

  it('gives all idle when the CPU counters did not move, or went back (a CPU went offline)', () => {
    expect(splitEnergy(12, 0, 0)).toMatchObject({ activeJoules: 0, idleJoules: 12, busyRatio: 0 });
    expect(splitEnergy(12, 5, -40)).toMatchObject({ activeJoules: 0, idleJoules: 12, busyRatio: 0 });
  });

  it('clamps Δbusy to [0, Δtotal]', () => {
    expect(splitEnergy(10, 300, 200)).toMatchObject({ activeJoules: 10, idleJoules: 0, busyRatio: 1 });
    expect(splitEnergy(10, -3, 200)).toMatchObject({ activeJoules: 0, idleJoules: 10 });
  });

  it('refuses a negative or non-finite ΔE (the caller\'s wraparound bug)', () => {
    expect(() => splitEnergy(-1, 1, 2)).toThrow(RangeError);
    expect(() => splitEnergy(Number.NaN, 1, 2)).toThrow(RangeError);
    expect(() => splitEnergy(Number.POSITIVE_INFINITY, 1, 2)).toThrow(RangeError);
  });
});

describe('shares', () => {
  it('gives ΔE x Δcpu/Δtotal while the workloads fit inside Δbusy', () => {
    const { split, sharesJoules } = attributeEnergy(100, 80, 200, [40, 20, 0]);
    expect(split.activeJoules).toBe(40);
    expect(sharesJoules).toEqual([20, 10, 0]);
  });

  it('scales shares together when skew makes Σ Δcpu exceed Δbusy: they sum to active', () => {
    const { split, sharesJoules } = attributeEnergy(100, 50, 200, [40, 40]);
    expect(split.activeJoules).toBe(25);
    expect(sharesJoules).toEqual([12.5, 12.5]);
  });

  it('gives no shares when the counters did not move, and never a negative share', () => {
    expect(attributeEnergy(100, 0, 0, [5, 3]).sharesJoules).toEqual([0, 0]);
    expect(attributeEnergy(100, 50, 100, [-5, 5]).sharesJoules).toEqual([0, 5 / 100 * 100]);
  });

  it('caps a lone workload (a cgroup) at active', () => {
    const split = splitEnergy(100, 50, 200);
    expect(shareJoules(split, 80)).toBe(25);
    expect(shareJoules(split, 10)).toBe(5);
  });

  it('converts cgroup microseconds to clock ticks', () => {
    expect(usecToTicks(1_000_000)).toBe(100);
    expect(usecToTicks(1_000_000, 250)).toBe(250);
    expect(usecToTicks(73899)).toBeCloseTo(7.3899, 10);
  });
});

describe('conservation (fast-check)', () => {
  const ticks = fc.oneof(fc.constant(0), fc.nat({ max: 100_000 }), fc.integer({ min: -1000, max: 0 }));
  // ΔE as the caller computes it from a counter that may wrap (AMD's 65.5 kJ range, Intel's 262 kJ).
  const deltaJoules = fc
    .record({ max: fc.constantFrom(65_532_610_987, 262_143_328_850), prev: fc.double({ min: 0, max: 1, noNaN: true }), cur: fc.double({ min: 0, max: 1, noNaN: true }) })
    .map(({ max, prev, cur }) => wrapCorrected(Math.floor(prev * max), Math.floor(cur * max), max));

  it('active + idle = ΔE, both >= 0; Σ shares of a disjoint set <= active; every share >= 0', () => {
    fc.assert(
      fc.property(deltaJoules, ticks, ticks, fc.array(ticks, { maxLength: 30 }), (energy, busy, total, workloads) => {
        const { split, sharesJoules } = attributeEnergy(energy, busy, total, workloads);
        expect(split.activeJoules).toBeGreaterThanOrEqual(0);
        expect(split.idleJoules).toBeGreaterThanOrEqual(0);
        expect(close(split.activeJoules + split.idleJoules, energy)).toBe(true);
        const sum = sharesJoules.reduce((a, b) => a + b, 0);
        expect(sum <= split.activeJoules * (1 + 1e-12)).toBe(true);
        for (const share of sharesJoules) expect(share).toBeGreaterThanOrEqual(0);
        if (!(total > 0)) expect(split.idleJoules).toBe(energy);
      }),
    );
  });

  it('a share is exactly ΔE x Δcpu/Δtotal (to rounding) when the set fits inside Δbusy', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.integer({ min: 1, max: 1e6 }), fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 10 }), (energy, extra, workloads) => {
        const busy = workloads.reduce((a, b) => a + b, 0) + extra;
        const total = busy + extra;
        const { sharesJoules } = attributeEnergy(energy, busy, total, workloads);
        workloads.forEach((w, i) => expect(close(sharesJoules[i]!, (energy * w) / total)).toBe(true));
      }),
    );
  });
});
