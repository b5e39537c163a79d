export { PowerEstimateError } from './errors.js';
export type { PowerEstimateErrorReason } from './errors.js';
export {
  CCF_MAX_WATTS_PER_VCPU,
  CCF_MIN_WATTS_PER_VCPU,
  ccfLinearWatts,
  clampBusyRatio,
  createCcfLinearModel,
  createEstimateModel,
  createTeadsCurveModel,
  ESTIMATE_MODEL_NAMES,
  parseEstimateModelName,
  TEADS_CURVE,
  teadsCurveWatts,
  validateCurve,
} from './models.js';
export type { CcfLinearOptions, CurvePoint, EstimateModel, EstimateModelConfig, EstimateModelName, TeadsCurveOptions } from './models.js';
