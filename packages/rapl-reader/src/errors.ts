/** Why a powercap file could not give a value: stable strings, fit for a metric label. */
export type RaplErrorReason =
  | 'permission_denied'
  | 'not_found'
  | 'io_error'
  | 'no_data'
  | 'parse_error'
  | 'other';

/** Base class of every error this package reports; `file` is the path that failed. */
export class RaplError extends Error {
  override readonly name: string = 'RaplError';
  readonly file: string;
  readonly reason: RaplErrorReason;

  constructor(message: string, file: string, reason: RaplErrorReason, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
    this.reason = reason;
  }
}

/** A file was read but its text is not a valid value (empty, not an integer, negative, beyond 2^53). */
export class RaplParseError extends RaplError {
  override readonly name = 'RaplParseError';
  /** The text as read, trimmed. */
  readonly value: string;

  constructor(file: string, value: string, problem: string) {
    // A malformed file may be large: quote enough of it to recognise, not all of it.
    const shown = value.length > 64 ? `${JSON.stringify(value.slice(0, 64))} (${value.length} characters)` : JSON.stringify(value);
    super(`${file}: ${problem}: ${shown}`, file, 'parse_error');
    this.value = value;
  }
}

/** A file could not be read at all (EACCES, ENOENT, EIO, ENODATA, ...). */
export class RaplReadError extends RaplError {
  override readonly name = 'RaplReadError';
  /** The errno code, e.g. `EACCES`, or `UNKNOWN`. */
  readonly code: string;

  constructor(file: string, code: string, cause: unknown) {
    super(`${file}: ${code}${describeCode(code)}`, file, reasonForCode(code), { cause });
    this.code = code;
  }
}

/** Maps an errno code to the reason reported in metrics. */
export function reasonForCode(code: string): RaplErrorReason {
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
    case 'ENODATA':
      return 'no_data';
    // Longer than a sysfs attribute can be: not a value.
    case 'EFBIG':
      return 'parse_error';
    default:
      return 'other';
  }
}

function describeCode(code: string): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      // Since CVE-2020-8694 energy_uj is readable by root only.
      return ' (permission denied: energy_uj is readable by root only)';
    case 'ENOENT':
      return ' (no such file)';
    default:
      return '';
  }
}

/** Wraps whatever a filesystem call threw into a RaplReadError naming the file. */
export function toReadError(file: string, error: unknown): RaplReadError {
  const code =
    typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
      ? (error as { code: string }).code
      : 'UNKNOWN';
  return new RaplReadError(file, code, error);
}
