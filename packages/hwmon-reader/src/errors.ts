/** Why an hwmon file could not give a value: stable strings, fit for a metric label. */
export type HwmonErrorReason = 'permission_denied' | 'not_found' | 'io_error' | 'no_data' | 'parse_error' | 'other';

/** Base class of every error this package reports; `file` is the path that failed. */
export class HwmonError extends Error {
  override readonly name: string = 'HwmonError';
  readonly file: string;
  readonly reason: HwmonErrorReason;

  constructor(message: string, file: string, reason: HwmonErrorReason, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
    this.reason = reason;
  }
}

/** A file was read but its text is not a valid value (empty, not an integer, negative, beyond 2^53). */
export class HwmonParseError extends HwmonError {
  override readonly name = 'HwmonParseError';
  /** The text as read, trimmed. */
  readonly value: string;

  constructor(file: string, value: string, problem: string) {
    // A bad file may be huge: quote at most 64 characters of it.
    const shown = value.length > 64 ? `${JSON.stringify(value.slice(0, 64))} (${value.length} characters)` : JSON.stringify(value);
    super(`${file}: ${problem}: ${shown}`, file, 'parse_error');
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
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission_denied';
    case 'ENOENT':
    case 'ENOTDIR':
    case 'ENODEV':
    case 'ENXIO':
      return 'not_found';
    case 'EIO':
      return 'io_error';
    // A sensor that has no value right now (a GPU asleep, a BMC-backed sensor busy) answers ENODATA or EAGAIN.
    case 'ENODATA':
    case 'EAGAIN':
      return 'no_data';
    // Longer than a sysfs attribute can be: not a value.
    case 'EFBIG':
      return 'parse_error';
    default:
      return 'other';
  }
}

/** Wraps whatever a filesystem call threw into an HwmonError naming the file (an HwmonError passes through). */
export function toHwmonError(file: string, error: unknown): HwmonError {
  if (error instanceof HwmonError) return error;
  const code =
    typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
      ? (error as { code: string }).code
      : 'UNKNOWN';
  return new HwmonReadError(file, code, error);
}
