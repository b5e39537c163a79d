/** Why a kernel file could not give a value: stable strings, fit for a metric label. */
export type KernelFileReason = 'permission_denied' | 'not_found' | 'io_error' | 'no_data' | 'parse_error' | 'other';

/**
 * Base of the readers' error classes (RaplError, HwmonError, ProcError): `file` is the path that failed, `reason`
 * one of the reader's own reasons.
 */
export class KernelFileError<Reason extends string = KernelFileReason> extends Error {
  override readonly name: string = 'KernelFileError';
  readonly file: string;
  readonly reason: Reason;

  constructor(message: string, file: string, reason: Reason, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
    this.reason = reason;
  }
}

/** Maps the errno code a sysfs attribute read failed with to its reason. */
export function errnoReason(code: string): KernelFileReason {
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
    // Longer than a kernel attribute can be (readKernelAttribute): not a value.
    case 'EFBIG':
      return 'parse_error';
    default:
      return 'other';
  }
}

/** The errno `code` of whatever a filesystem call threw (`EACCES`, `ENOENT`, ...), or `UNKNOWN`. */
export function errnoCode(error: unknown): string {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
    ? (error as { code: string }).code
    : 'UNKNOWN';
}

/** A value quoted for an error message: a malformed file may be large, so at most 64 characters of it and its length. */
export function quoteValue(value: string): string {
  return value.length > 64 ? `${JSON.stringify(value.slice(0, 64))} (${value.length} characters)` : JSON.stringify(value);
}
