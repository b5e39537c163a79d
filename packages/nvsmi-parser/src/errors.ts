import type { QueryRow } from './csv.js';

/** Why a piece of nvidia-smi output was not data: stable strings, fit for a metric label. */
export type NvsmiErrorReason =
  /** `Field "x" is not a valid field to query.` (nvidia-smi exits 2 and answers nothing else). */
  | 'invalid_field'
  /** `Unable to determine the device handle for GPU <bus id>: GPU is lost. ...` (Xid 79, fallen off the bus). */
  | 'gpu_lost'
  /** `Unable to determine the device handle for GPU <bus id>: GPU requires reset`. */
  | 'gpu_requires_reset'
  /** `Unable to determine the device handle for GPU <bus id>: <any other NVML error>`. */
  | 'device_handle_failed'
  /** `NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. ...` (module not loaded). */
  | 'driver_unreachable'
  /** `NVIDIA-SMI couldn't find libnvidia-ml.so library in your system. ...` (NVML's "NVML Shared Library Not Found"). */
  | 'nvml_library_not_found'
  /** `Failed to initialize NVML: Driver/library version mismatch` (driver upgraded, module not reloaded). */
  | 'driver_version_mismatch'
  /** `Failed to initialize NVML: <any other NVML error>`, e.g. `Unknown Error` in a container that lost its devices. */
  | 'nvml_init_failed'
  /** `No devices were found`, or `Failed to initialize NVML: No supported GPUs were found`. */
  | 'no_devices'
  /** A CSV row whose number of columns differs from the header or the requested field list. */
  | 'column_count'
  /** The first line of a CSV answer with a header is not a header for the requested fields. */
  | 'bad_header'
  /** A loop-mode batch that ended (the GPU order restarted, or the stream ended) before every GPU had a row. */
  | 'incomplete_batch'
  /** A line longer than the parser's limit; it is dropped up to its newline. */
  | 'line_too_long'
  /** A line that is neither data nor a known nvidia-smi message (in `-L` or help output, or a loop-mode row whose index is not a number). */
  | 'unrecognised_line';

/** Where in the input an error was found. */
export interface NvsmiErrorOptions {
  /** The line as read (without its newline). */
  readonly line?: string;
  /** 1-based line number in the text (or, for a stream, since the stream started). */
  readonly lineNumber?: number;
  readonly cause?: unknown;
}

/** Base class of every error this package reports. */
export class NvsmiError extends Error {
  override readonly name: string = 'NvsmiError';
  readonly reason: NvsmiErrorReason;
  /** The offending line as read, when the error is about one line. */
  readonly line: string | undefined;
  /** 1-based number of that line. */
  readonly lineNumber: number | undefined;

  constructor(message: string, reason: NvsmiErrorReason, options: NvsmiErrorOptions = {}) {
    super(options.lineNumber === undefined ? message : `line ${options.lineNumber}: ${message}`, { cause: options.cause });
    this.reason = reason;
    this.line = options.line;
    this.lineNumber = options.lineNumber;
  }
}

/** nvidia-smi's own report that it could not answer (printed instead of data, usually with a non-zero exit). */
export class NvsmiMessageError extends NvsmiError {
  override readonly name: string = 'NvsmiMessageError';
  /** nvidia-smi's words, as printed. */
  readonly text: string;

  constructor(text: string, reason: NvsmiErrorReason, options: NvsmiErrorOptions = {}) {
    super(`nvidia-smi: ${text}`, reason, { line: text, ...options });
    this.text = text;
  }
}

/** `Field "x" is not a valid field to query.`: this driver does not know `field`; the whole query failed. */
export class NvsmiInvalidFieldError extends NvsmiMessageError {
  override readonly name: string = 'NvsmiInvalidFieldError';
  readonly field: string;

  constructor(text: string, field: string, options: NvsmiErrorOptions = {}) {
    super(text, 'invalid_field', options);
    this.field = field;
  }
}

/** `Unable to determine the device handle for GPU <pciBusId>: <nvmlError>`: one GPU could not be opened. */
export class NvsmiDeviceHandleError extends NvsmiMessageError {
  override readonly name: string = 'NvsmiDeviceHandleError';
  /** The GPU's PCI bus id as printed, e.g. `0000:0A:00.0`. */
  readonly pciBusId: string;
  /** NVML's error string, e.g. `GPU is lost`, `Unknown Error`. */
  readonly nvmlError: string;

  constructor(text: string, pciBusId: string, nvmlError: string, reason: NvsmiErrorReason, options: NvsmiErrorOptions = {}) {
    super(text, reason, options);
    this.pciBusId = pciBusId;
    this.nvmlError = nvmlError;
  }
}

/** The device-handle failure whose NVML error is `GPU is lost`: the GPU fell off the bus; a reboot recovers it. */
export class NvsmiGpuLostError extends NvsmiDeviceHandleError {
  override readonly name: string = 'NvsmiGpuLostError';

  constructor(text: string, pciBusId: string, options: NvsmiErrorOptions = {}) {
    super(text, pciBusId, 'GPU is lost', 'gpu_lost', options);
  }
}

/** nvidia-smi could not reach the driver or NVML at all (not loaded, library missing, version mismatch, ...). */
export class NvsmiDriverError extends NvsmiMessageError {
  override readonly name: string = 'NvsmiDriverError';
  /** NVML's error string after `Failed to initialize NVML: `, when the message carries one. */
  readonly nvmlError: string | undefined;

  constructor(text: string, reason: NvsmiErrorReason, nvmlError: string | undefined, options: NvsmiErrorOptions = {}) {
    super(text, reason, options);
    this.nvmlError = nvmlError;
  }
}

/** `No devices were found`: the driver runs but sees no GPU. A normal state for a host without a GPU. */
export class NvsmiNoDevicesError extends NvsmiMessageError {
  override readonly name: string = 'NvsmiNoDevicesError';

  constructor(text: string, options: NvsmiErrorOptions = {}) {
    super(text, 'no_devices', options);
  }
}

/** A CSV row whose column count differs from the header / field list; its values are not guessed at. */
export class NvsmiRowError extends NvsmiError {
  override readonly name: string = 'NvsmiRowError';
  readonly expectedColumns: number;
  readonly actualColumns: number;

  constructor(line: string, lineNumber: number, expectedColumns: number, actualColumns: number) {
    super(`expected ${expectedColumns} columns, got ${actualColumns}: ${quote(line)}`, 'column_count', { line, lineNumber });
    this.expectedColumns = expectedColumns;
    this.actualColumns = actualColumns;
  }
}

/** The first line of a CSV answer is not a header for the requested fields. */
export class NvsmiHeaderError extends NvsmiError {
  override readonly name: string = 'NvsmiHeaderError';

  constructor(problem: string, line: string, lineNumber: number) {
    super(`not a --query-gpu header (${problem}): ${quote(line)}`, 'bad_header', { line, lineNumber });
  }
}

/** A loop-mode batch that ended before every GPU had a row; the rows it did get travel with it. */
export class NvsmiBatchError extends NvsmiError {
  override readonly name: string = 'NvsmiBatchError';
  /** The rows that arrived, in order. */
  readonly rows: readonly QueryRow[];
  readonly expectedRows: number;

  constructor(rows: readonly QueryRow[], expectedRows: number, why: string) {
    super(`incomplete batch: ${rows.length} of ${expectedRows} rows (${why})`, 'incomplete_batch');
    this.rows = rows;
    this.expectedRows = expectedRows;
  }
}

/** A line that is not what the output should hold (neither data nor a known nvidia-smi message), or too long. */
export class NvsmiLineError extends NvsmiError {
  override readonly name: string = 'NvsmiLineError';

  constructor(problem: string, line: string, lineNumber: number, reason: NvsmiErrorReason = 'unrecognised_line') {
    super(`${problem}: ${quote(line)}`, reason, { line, lineNumber });
  }
}

const QUOTED_CHARS = 160;

/** The line for a message: JSON-quoted, cut after QUOTED_CHARS characters (the full line stays in `line`). */
function quote(line: string): string {
  return line.length <= QUOTED_CHARS ? JSON.stringify(line) : `${JSON.stringify(line.slice(0, QUOTED_CHARS))}...`;
}
