import { errnoCode, errnoReason, KernelFileError } from '@proj/kernel-files';

/** Why a procfs or cgroup file could not give a value: stable strings, fit for a metric label. */
export type ProcErrorReason = 'permission_denied' | 'not_found' | 'io_error' | 'parse_error' | 'other';

/** Base class of every error this package reports; `file` is the path that failed. */
export class ProcError extends KernelFileError<ProcErrorReason> {
  override readonly name: string = 'ProcError';
}

/** A file was read but its text is not what the kernel writes there. */
export class ProcParseError extends ProcError {
  override readonly name = 'ProcParseError';
  /** The offending text (a line or a value), trimmed to 200 characters. */
  readonly value: string;

  constructor(file: string, value: string, problem: string) {
    const shown = value.length > 200 ? `${value.slice(0, 200)}...` : value;
    super(`${file}: ${problem}: ${JSON.stringify(shown)}`, file, 'parse_error');
    this.value = shown;
  }
}

/** A file could not be read at all (EACCES under hidepid, ENOENT or ESRCH for a pid that ended, EIO, ...). */
export class ProcReadError extends ProcError {
  override readonly name = 'ProcReadError';
  /** The errno code, e.g. `ENOENT`, or `UNKNOWN`. */
  readonly code: string;

  constructor(file: string, code: string, cause: unknown) {
    super(`${file}: ${code}`, file, reasonForCode(code), { cause });
    this.code = code;
  }
}

/** Maps an errno code to the reason reported in metrics. */
export function reasonForCode(code: string): ProcErrorReason {
  // A pid that ended answers ESRCH through a file held open.
  if (code === 'ESRCH') return 'not_found';
  // A device gone (ENODEV, ENXIO), no data right now and an over-long attribute are sysfs answers, not procfs's.
  if (code === 'ENODEV' || code === 'ENXIO') return 'other';
  const reason = errnoReason(code);
  return reason === 'no_data' || reason === 'parse_error' ? 'other' : reason;
}

/** Wraps whatever a filesystem call threw into a ProcReadError naming the file (a ProcError passes through). */
export function toReadError(file: string, error: unknown): ProcError {
  if (error instanceof ProcError) return error;
  return new ProcReadError(file, errnoCode(error), error);
}
