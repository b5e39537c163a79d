import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PowerEstimateError } from './errors.js';
import {
  ccfLinearWatts,
  clampBusyRatio,
  createCcfLinearModel,
  createEstimateModel,
  createTeadsCurveModel,
  parseEstimateModelName,
  teadsCurveWatts,
  validateCurve,
} from './models.js';

const ratio = fc.double({ min: 0, max: 1, noNaN: true });

describe('ccf_linear', () => {
  it('is vcpus x (0.74 + u x (3.5 - 0.74)) by default', () => {
    expect(ccfLinearWatts(0, 4)).toBeCloseTo(2.96, 10);
    expect(ccfLinearWatts(1, 4)).toBeCloseTo(14, 10);
    expect(ccfLinearWatts(0.5, 2)).toBeCloseTo(2 * (0.74 + 0.5 * 2.76), 10);
    const model = createCcfLinearModel({ vcpus: 8 });
    expect(model.model).toBe('ccf_linear');
    expect(model.parameters).toEqual({ vcpus: 8, minWattsPerVcpu: 0.74, maxWattsPerVcpu: 3.5 });
    expect(model.idleWatts).toBeCloseTo(5.92, 10);
    expect(model.fullWatts).toBeCloseTo(28, 10);
    expect(model.powerWatts(0.25)).toBeCloseTo(8 * (0.74 + 0.25 * 2.76), 10);
    expect(model.description).toContain('8 vCPUs');
  });

  it('takes other coefficients', () => {
    const model = createCcfLinearModel({ vcpus: 2, minWattsPerVcpu: 1, maxWattsPerVcpu: 5 });
    expect(model.powerWatts(0.5)).toBeCloseTo(6, 10);
  });

  it('refuses a vCPU count that is not a positive integer and min above max', () => {
    for (const vcpus of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createCcfLinearModel({ vcpus })).toThrow(PowerEstimateError);
    }
    const error = (() => {
      try {
        createCcfLinearModel({ vcpus: 1, minWattsPerVcpu: 4, maxWattsPerVcpu: 3 });
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(PowerEstimateError);
    expect((error as PowerEstimateError).reason).toBe('invalid_parameter');
    expect((error as PowerEstimateError).parameter).toBe('maxWattsPerVcpu');
  });

  it('is monotone in u and stays between idle and full power (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 512 }), ratio, ratio, (vcpus, a, b) => {
        const model = createCcfLinearModel({ vcpus });
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(model.powerWatts(lo)).toBeLessThanOrEqual(model.powerWatts(hi) + 1e-9);
        expect(model.powerWatts(a)).toBeGreaterThanOrEqual(model.idleWatts - 1e-9);
        expect(model.powerWatts(a)).toBeLessThanOrEqual(model.fullWatts + 1e-9);
      }),
    );
  });
});

describe('teads_curve', () => {
  it('hits 0.12 / 0.32 / 0.75 / 1.02 x TDP at 0 / 10 / 50 / 100 %', () => {
    const model = createTeadsCurveModel({ tdpWatts: 200 });
    expect(model.model).toBe('teads_curve');
    expect(model.powerWatts(0)).toBeCloseTo(24, 10);
    expect(model.powerWatts(0.1)).toBeCloseTo(64, 10);
    expect(model.powerWatts(0.5)).toBeCloseTo(150, 10);
    expect(model.powerWatts(1)).toBeCloseTo(204, 10);
    expect(model.idleWatts).toBeCloseTo(24, 10);
    expect(model.fullWatts).toBeCloseTo(204, 10);
  });

  it('is linear between the points', () => {
    // Halfway from 10 % to 50 %: halfway from 0.32 to 0.75.
    expect(teadsCurveWatts(0.3, 100)).toBeCloseTo(53.5, 10);
    // Halfway from 50 % to 100 %: halfway from 0.75 to 1.02.
    expect(teadsCurveWatts(0.75, 100)).toBeCloseTo(88.5, 10);
    expect(teadsCurveWatts(0.05, 100)).toBeCloseTo(22, 10);
  });

  it('is monotone in u, within [0.12, 1.02] x TDP, and continuous at the points (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 2000, noNaN: true }), ratio, ratio, (tdpWatts, a, b) => {
        const model = createTeadsCurveModel({ tdpWatts });
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(model.powerWatts(lo)).toBeLessThanOrEqual(model.powerWatts(hi) + 1e-9);
        expect(model.powerWatts(a)).toBeGreaterThanOrEqual(0.12 * tdpWatts - 1e-9);
        expect(model.powerWatts(a)).toBeLessThanOrEqual(1.02 * tdpWatts + 1e-9);
      }),
    );
    for (const point of [0.1, 0.5]) {
      expect(teadsCurveWatts(point - 1e-12, 100)).toBeCloseTo(teadsCurveWatts(point + 1e-12, 100), 6);
    }
  });

  it('refuses a TDP that is not positive and a malformed curve', () => {
    for (const tdpWatts of [0, -5, Number.NaN]) expect(() => createTeadsCurveModel({ tdpWatts })).toThrow(PowerEstimateError);
    expect(() => validateCurve([{ busyRatio: 0, tdpFraction: 0.1 }])).toThrow(/two points/);
    expect(() => validateCurve([{ busyRatio: 0.1, tdpFraction: 0.1 }, { busyRatio: 1, tdpFraction: 1 }])).toThrow(/from busy ratio 0 to 1/);
    expect(() =>
      validateCurve([
        { busyRatio: 0, tdpFraction: 0.1 },
        { busyRatio: 0.5, tdpFraction: 0.5 },
        { busyRatio: 0.5, tdpFraction: 0.6 },
        { busyRatio: 1, tdpFraction: 1 },
      ]),
    ).toThrow(/rising/);
    const curve = [
      { busyRatio: 0, tdpFraction: 0.2 },
      { busyRatio: 1, tdpFraction: 0.9 },
    ];
    expect(createTeadsCurveModel({ tdpWatts: 100, curve }).powerWatts(0.5)).toBeCloseTo(55, 10);
  });
});

describe('inputs', () => {
  it('clamps a finite ratio into [0, 1] and refuses NaN and infinities with a typed error', () => {
    expect(clampBusyRatio(-0.001)).toBe(0);
    expect(clampBusyRatio(1.0000001)).toBe(1);
    expect(clampBusyRatio(0.4)).toBe(0.4);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      try {
        clampBusyRatio(bad);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(PowerEstimateError);
        expect((error as PowerEstimateError).reason).toBe('invalid_busy_ratio');
      }
    }
  });

  it('builds by name and parses model names from flags', () => {
    expect(createEstimateModel({ model: 'ccf_linear', vcpus: 2 }).powerWatts(1)).toBeCloseTo(7, 10);
    expect(createEstimateModel({ model: 'teads_curve', tdpWatts: 100 }).powerWatts(0)).toBeCloseTo(12, 10);
    expect(parseEstimateModelName('ccf_linear')).toBe('ccf_linear');
    expect(parseEstimateModelName(' Teads-Curve ')).toBe('teads_curve');
    expect(() => parseEstimateModelName('spec_power')).toThrow(expect.objectContaining({ reason: 'unknown_model' }));
  });
});
