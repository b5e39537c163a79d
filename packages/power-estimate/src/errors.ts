/** Why a model could not be built or evaluated: stable strings, fit for a metric label or a flag error. */
export type PowerEstimateErrorReason = 'invalid_parameter' | 'invalid_busy_ratio' | 'unknown_model';

/** A parameter or an input the models cannot use; `parameter` names which (`vcpus`, `tdpWatts`, `busyRatio`, ...). */
export class PowerEstimateError extends Error {
  override readonly name = 'PowerEstimateError';
  readonly reason: PowerEstimateErrorReason;
  readonly parameter: string;
  /** The value refused, as given. */
  readonly value: unknown;

  constructor(reason: PowerEstimateErrorReason, parameter: string, value: unknown, problem: string) {
    super(`${parameter}=${String(value)}: ${problem}`);
    this.reason = reason;
    this.parameter = parameter;
    this.value = value;
  }
}
