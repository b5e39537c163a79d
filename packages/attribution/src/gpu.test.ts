import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { processWeight, splitGpuEnergy, type ProcessUse } from './gpu.js';

const percent = fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined });
const use = fc.record({ smPercent: percent, encPercent: percent, decPercent: percent, matched: fc.boolean() });
const joules = fc.double({ min: 0, max: 1e6, noNaN: true });

describe('splitGpuEnergy', () => {
  it('conserves energy: Σ processes + unattributed = ΔE, nothing negative', () => {
    fc.assert(
      fc.property(joules, fc.array(use, { maxLength: 40 }), (deltaJoules, processes) => {
        const { processJoules, unattributedJoules } = splitGpuEnergy(deltaJoules, processes);
        expect(processJoules).toHaveLength(processes.length);
        for (const j of processJoules) expect(j).toBeGreaterThanOrEqual(0);
        expect(unattributedJoules).toBeGreaterThanOrEqual(0);
        const sum = processJoules.reduce((a, b) => a + b, 0) + unattributedJoules;
        expect(Math.abs(sum - deltaJoules)).toBeLessThanOrEqual(1e-9 * Math.max(1, deltaJoules));
      }),
    );
  });

  it('gives an all-idle GPU (no process, or every process at 0 or -) wholly to unattributed', () => {
    fc.assert(
      fc.property(
        joules,
        fc.array(fc.record({ smPercent: fc.constantFrom(0, undefined), encPercent: fc.constantFrom(0, undefined), decPercent: fc.constantFrom(0, undefined), matched: fc.boolean() })),
        (deltaJoules, processes) => {
          const split = splitGpuEnergy(deltaJoules, processes);
          expect(split.unattributedJoules).toBe(deltaJoules);
          expect(split.processJoules.every((j) => j === 0)).toBe(true);
        },
      ),
    );
  });

  it('gives unmatched processes nothing and keeps their share unattributed', () => {
    fc.assert(
      fc.property(joules, fc.array(use, { minLength: 1, maxLength: 20 }), (deltaJoules, processes) => {
        const split = splitGpuEnergy(deltaJoules, processes);
        processes.forEach((p, i) => {
          if (!p.matched) expect(split.processJoules[i]).toBe(0);
        });
        const unmatchedWeight = processes.filter((p) => !p.matched).reduce((a, p) => a + processWeight(p), 0);
        const total = processes.reduce((a, p) => a + processWeight(p), 0);
        if (total > 0) expect(split.unattributedJoules).toBeCloseTo((deltaJoules * unmatchedWeight) / total, 6);
      }),
    );
  });

  it('splits in proportion to sm + enc + dec, each engine alike, - as 0', () => {
    const processes: ProcessUse[] = [
      { smPercent: 2, encPercent: 2, decPercent: undefined, matched: true }, // 4
      { smPercent: 5, encPercent: 3, decPercent: 7, matched: true }, // 15
      { smPercent: undefined, encPercent: 1, decPercent: 0, matched: false }, // 1
    ];
    const split = splitGpuEnergy(40, processes);
    expect(split.processJoules).toEqual([8, 30, 0]);
    expect(split.unattributedJoules).toBe(2);
  });

  it('refuses a negative or non-finite ΔE', () => {
    expect(() => splitGpuEnergy(-1, [])).toThrow(RangeError);
    expect(() => splitGpuEnergy(Number.NaN, [])).toThrow(RangeError);
  });
});
