import { PowerEstimateError } from './errors.js';

/** The `model` label values, one per model. */
export type EstimateModelName = 'ccf_linear' | 'teads_curve';

/** Every model this package implements, in the order a flag's help lists them. */
export const ESTIMATE_MODEL_NAMES: readonly EstimateModelName[] = ['ccf_linear', 'teads_curve'];

/** Cloud Carbon Footprint's per-vCPU average minimum watts (its published coefficient for compute). */
export const CCF_MIN_WATTS_PER_VCPU = 0.74;
/** Cloud Carbon Footprint's per-vCPU average maximum watts. */
export const CCF_MAX_WATTS_PER_VCPU = 3.5;

/** One point of a load curve: at `busyRatio` the CPU draws `tdpFraction` x TDP. */
export interface CurvePoint {
  readonly busyRatio: number;
  readonly tdpFraction: number;
}

/** The Teads curve: 0 / 10 / 50 / 100 % load -> 0.12 / 0.32 / 0.75 / 1.02 x TDP, linear between the points. */
export const TEADS_CURVE: readonly CurvePoint[] = [
  { busyRatio: 0, tdpFraction: 0.12 },
  { busyRatio: 0.1, tdpFraction: 0.32 },
  { busyRatio: 0.5, tdpFraction: 0.75 },
  { busyRatio: 1, tdpFraction: 1.02 },
];

/** A built model: a pure function from the busy ratio to watts, and what describes it. */
export interface EstimateModel {
  /** The `model` label value. */
  readonly model: EstimateModelName;
  /** One line for HELP texts, /health and the landing page, with the parameters in it. */
  readonly description: string;
  /** The parameters the model was built with, by name with units (`vcpus`, `minWattsPerVcpu`, `tdpWatts`). */
  readonly parameters: Readonly<Record<string, number>>;
  /** The power at busy ratio 0. */
  readonly idleWatts: number;
  /** The power at busy ratio 1. */
  readonly fullWatts: number;
  /** The estimated power at `busyRatio` (0..1; a value a rounding put just outside is clamped). */
  powerWatts(busyRatio: number): number;
}

/** Options for createCcfLinearModel. */
export interface CcfLinearOptions {
  /** Logical CPUs counted (os.availableParallelism() or the CPU lines of /proc/stat). */
  readonly vcpus: number;
  /** Watts per vCPU at 0 % load; 0.74 by default. */
  readonly minWattsPerVcpu?: number;
  /** Watts per vCPU at 100 % load; 3.5 by default. */
  readonly maxWattsPerVcpu?: number;
}

/** Options for createTeadsCurveModel. */
export interface TeadsCurveOptions {
  /** The CPU's thermal design power in watts (all sockets together). */
  readonly tdpWatts: number;
  /** The curve; TEADS_CURVE by default. Points must start at 0, end at 1 and rise in busy ratio. */
  readonly curve?: readonly CurvePoint[];
}

/** What createEstimateModel builds, by model name. */
export type EstimateModelConfig = ({ readonly model: 'ccf_linear' } & CcfLinearOptions) | ({ readonly model: 'teads_curve' } & TeadsCurveOptions);

/**
 * Checks a busy ratio and clamps it into [0, 1]. Pure. A finite value outside (a rounding, a counter glitch) is
 * clamped; NaN or an infinity is a caller's bug (a ratio over zero elapsed time) and throws PowerEstimateError.
 */
export function clampBusyRatio(busyRatio: number): number {
  if (!Number.isFinite(busyRatio)) throw new PowerEstimateError('invalid_busy_ratio', 'busyRatio', busyRatio, 'expected a finite number');
  return Math.min(1, Math.max(0, busyRatio));
}

/** Cloud Carbon Footprint's linear model: `vcpus x (min + u x (max - min))` watts. Pure. */
export function ccfLinearWatts(busyRatio: number, vcpus: number, minWattsPerVcpu = CCF_MIN_WATTS_PER_VCPU, maxWattsPerVcpu = CCF_MAX_WATTS_PER_VCPU): number {
  const u = clampBusyRatio(busyRatio);
  return vcpus * (minWattsPerVcpu + u * (maxWattsPerVcpu - minWattsPerVcpu));
}

/** The Teads curve (or another curve) at `busyRatio`: linear between the points, times `tdpWatts`. Pure. */
export function teadsCurveWatts(busyRatio: number, tdpWatts: number, curve: readonly CurvePoint[] = TEADS_CURVE): number {
  const u = clampBusyRatio(busyRatio);
  for (let i = 1; i < curve.length; i++) {
    const left = curve[i - 1]!;
    const right = curve[i]!;
    if (u <= right.busyRatio) {
      const t = (u - left.busyRatio) / (right.busyRatio - left.busyRatio);
      return tdpWatts * (left.tdpFraction + t * (right.tdpFraction - left.tdpFraction));
    }
  }
  return tdpWatts * curve[curve.length - 1]!.tdpFraction;
}

function positive(parameter: string, value: number): number {
  if (!Number.isFinite(value) || !(value > 0)) throw new PowerEstimateError('invalid_parameter', parameter, value, 'expected a positive finite number');
  return value;
}

function nonNegative(parameter: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new PowerEstimateError('invalid_parameter', parameter, value, 'expected a non-negative finite number');
  return value;
}

/** Builds the CCF linear model. Throws PowerEstimateError for a vCPU count that is not a positive integer or min > max. */
export function createCcfLinearModel(options: CcfLinearOptions): EstimateModel {
  const vcpus = positive('vcpus', options.vcpus);
  if (!Number.isInteger(vcpus)) throw new PowerEstimateError('invalid_parameter', 'vcpus', vcpus, 'expected a whole number of vCPUs');
  const min = nonNegative('minWattsPerVcpu', options.minWattsPerVcpu ?? CCF_MIN_WATTS_PER_VCPU);
  const max = nonNegative('maxWattsPerVcpu', options.maxWattsPerVcpu ?? CCF_MAX_WATTS_PER_VCPU);
  if (max < min) throw new PowerEstimateError('invalid_parameter', 'maxWattsPerVcpu', max, `below minWattsPerVcpu ${min}`);
  return {
    model: 'ccf_linear',
    description: `Cloud Carbon Footprint linear model: ${vcpus} vCPUs x (${min} W + busy x (${max} W - ${min} W))`,
    parameters: { vcpus, minWattsPerVcpu: min, maxWattsPerVcpu: max },
    idleWatts: vcpus * min,
    fullWatts: vcpus * max,
    powerWatts: (busyRatio) => ccfLinearWatts(busyRatio, vcpus, min, max),
  };
}

/** Checks a curve: at least two points, from busy ratio 0 to 1, strictly rising in busy ratio, fractions >= 0. Pure. */
export function validateCurve(curve: readonly CurvePoint[]): readonly CurvePoint[] {
  const bad = (problem: string): never => {
    throw new PowerEstimateError('invalid_parameter', 'curve', JSON.stringify(curve), problem);
  };
  if (curve.length < 2) bad('expected at least two points');
  if (curve[0]!.busyRatio !== 0 || curve[curve.length - 1]!.busyRatio !== 1) bad('expected points from busy ratio 0 to 1');
  for (let i = 0; i < curve.length; i++) {
    const point = curve[i]!;
    if (!Number.isFinite(point.tdpFraction) || point.tdpFraction < 0) bad('expected non-negative finite TDP fractions');
    if (i > 0 && !(point.busyRatio > curve[i - 1]!.busyRatio)) bad('expected busy ratios rising strictly');
  }
  return curve;
}

/** Builds the Teads curve model for a CPU of `tdpWatts`. Throws PowerEstimateError for a TDP that is not positive. */
export function createTeadsCurveModel(options: TeadsCurveOptions): EstimateModel {
  const tdpWatts = positive('tdpWatts', options.tdpWatts);
  const curve = validateCurve(options.curve ?? TEADS_CURVE);
  const points = curve.map((point) => `${Math.round(point.busyRatio * 100)} % -> ${point.tdpFraction}`).join(', ');
  return {
    model: 'teads_curve',
    description: `Teads curve: ${points} x TDP ${tdpWatts} W, linear between`,
    parameters: { tdpWatts },
    idleWatts: tdpWatts * curve[0]!.tdpFraction,
    fullWatts: tdpWatts * curve[curve.length - 1]!.tdpFraction,
    powerWatts: (busyRatio) => teadsCurveWatts(busyRatio, tdpWatts, curve),
  };
}

/** Builds the model a configuration names (from flags, say). Throws PowerEstimateError for a bad parameter. */
export function createEstimateModel(config: EstimateModelConfig): EstimateModel {
  return config.model === 'ccf_linear' ? createCcfLinearModel(config) : createTeadsCurveModel(config);
}

/** Parses a model name as a flag gives it (`ccf_linear`, `teads_curve`; `-` for `_` accepted). Pure; throws PowerEstimateError. */
export function parseEstimateModelName(text: string): EstimateModelName {
  const name = text.trim().toLowerCase().replace(/-/g, '_');
  if ((ESTIMATE_MODEL_NAMES as readonly string[]).includes(name)) return name as EstimateModelName;
  throw new PowerEstimateError('unknown_model', 'model', text, `expected one of ${ESTIMATE_MODEL_NAMES.join(', ')}`);
}
