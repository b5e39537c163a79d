import { errnoCode, errnoReason, KernelFileError, quoteValue } from '@proj/kernel-files';
import type { KernelFileReason } from '@proj/kernel-files';

/** Why a powercap file could not give a value: stable strings, fit for a metric label. */
export type RaplErrorReason = KernelFileReason;

/** Base class of every error this package reports; `file` is the path that failed. */
export class RaplError extends KernelFileError<RaplErrorReason> {
  override readonly name: string = 'RaplError';
}

/** A file was read but its text is not a valid value (empty, not an integer, negative, beyond 2^53). */
export class RaplParseError extends RaplError {
  override readonly name = 'RaplParseError';
  /** The text as read, trimmed. */
  readonly value: string;

  constructor(file: string, value: string, problem: string) {
    super(`${file}: ${problem}: ${quoteValue(value)}`, file, 'parse_error');
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
  return errnoReason(code);
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
  return new RaplReadError(file, errnoCode(error), error);
}
