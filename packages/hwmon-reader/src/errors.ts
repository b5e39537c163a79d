import { errnoCode, errnoReason, KernelFileError, quoteValue } from '@proj/kernel-files';
import type { KernelFileReason } from '@proj/kernel-files';

/** Why an hwmon file could not give a value: stable strings, fit for a metric label. */
export type HwmonErrorReason = KernelFileReason;

/** Base class of every error this package reports; `file` is the path that failed. */
export class HwmonError extends KernelFileError<HwmonErrorReason> {
  override readonly name: string = 'HwmonError';
}

/** A file was read but its text is not a valid value (empty, not an integer, negative, beyond 2^53). */
export class HwmonParseError extends HwmonError {
  override readonly name = 'HwmonParseError';
  /** The text as read, trimmed. */
  readonly value: string;

  constructor(file: string, value: string, problem: string) {
    super(`${file}: ${problem}: ${quoteValue(value)}`, file, 'parse_error');
    this.value = value;
  }
}

/** A file could not be read at all (EACCES, ENOENT, EIO, ENODATA, ...). */
export class HwmonReadError extends HwmonError {
  override readonly name = 'HwmonReadError';
  /** The errno code, e.g. `EACCES`, or `UNKNOWN`. */
  readonly code: string;

  constructor(file: string, code: string, cause: unknown) {
    super(`${file}: ${code}`, file, hwmonReasonForCode(code), { cause });
    this.code = code;
  }
}

/** Maps an errno code to the reason reported in metrics. */
export function hwmonReasonForCode(code: string): HwmonErrorReason {
  // A sensor that has no value right now (a GPU asleep, a BMC-backed sensor busy) answers ENODATA or EAGAIN.
  return code === 'EAGAIN' ? 'no_data' : errnoReason(code);
}

/** Wraps whatever a filesystem call threw into an HwmonError naming the file (an HwmonError passes through). */
export function toHwmonError(file: string, error: unknown): HwmonError {
  if (error instanceof HwmonError) return error;
  return new HwmonReadError(file, errnoCode(error), error);
}
