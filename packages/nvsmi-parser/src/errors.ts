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
  /** `Not supported on the device(s)`: `pmon` (or `dmon`) on a GPU that cannot report per-process use (Kepler GeForce and older). */
  | 'not_supported'
  /** `Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.` (an option this nvidia-smi does not know). */
  | 'invalid_arguments'
  /** A CSV row whose number of columns differs from the header or the requested field list, or a pmon row too short for its header. */
  | 'column_count'
  /** The first line of a CSV answer with a header is not a header for the requested fields; a pmon header naming an unknown column. */
  | 'bad_header'
  /** A loop-mode batch that ended (the GPU order restarted, or the stream ended) before every GPU had a row. */
  | 'incomplete_batch'
  /** A line longer than the parser's limit; it is dropped up to its newline. */
  | 'line_too_long'
  /**
   * A line that is neither data nor a known nvidia-smi message (in `-L` or help output, a loop-mode row whose index
   * is not a number, a pmon row with a cell that is neither a number nor `-`, or a pmon row before any header).
   */
  | 'unrecognised_line';

/** What an NvsmiError carries besides its reason: where in the input, and the details of that reason. */
export interface NvsmiErrorOptions {
  /** The line as read (without its newline). */
  readonly line?: string;
  /** 1-based line number in the text (or, for a stream, since the stream started). */
  readonly lineNumber?: number;
  /** nvidia-smi's own words, when the error is one of its messages. */
  readonly text?: string;
  /** `invalid_field`: the field the driver does not know. */
  readonly field?: string;
  /** Device-handle failures: the GPU's PCI bus id as printed, e.g. `0000:0A:00.0`. */
  readonly pciBusId?: string;
  /** NVML's error string (`GPU is lost`, `Unknown Error`, `Driver/library version mismatch`), when the message has one. */
  readonly nvmlError?: string;
  /** `column_count`: the columns the header or field list asks for, and the columns the row has. */
  readonly expectedColumns?: number;
  readonly actualColumns?: number;
  /** `incomplete_batch`: the rows that arrived, in order, and the rows a batch needs. */
  readonly rows?: readonly QueryRow[];
  readonly expectedRows?: number;
  readonly cause?: unknown;
}

/**
 * The one error this package reports, told apart by `reason` (as Hono's HTTPException by its status). The fields
 * a reason carries are set; the others are undefined. An error with `text` is nvidia-smi's own message, printed
 * instead of data (see `isNvidiaSmiMessage`).
 */
export class NvsmiError extends Error {
  override readonly name = 'NvsmiError';
  readonly reason: NvsmiErrorReason;
  /** The offending line as read, when the error is about one line. */
  readonly line: string | undefined;
  /** 1-based number of that line. */
  readonly lineNumber: number | undefined;
  /** nvidia-smi's words, as printed (trailing whitespace removed), when this is one of its messages. */
  readonly text: string | undefined;
  /** `invalid_field`: the field this driver does not know; the whole query failed. */
  readonly field: string | undefined;
  /** Device-handle failures (`gpu_lost`, `gpu_requires_reset`, `device_handle_failed`): the GPU's PCI bus id. */
  readonly pciBusId: string | undefined;
  /** NVML's error string, when the message carries one. */
  readonly nvmlError: string | undefined;
  /** `column_count`: what the header or field list asks for. */
  readonly expectedColumns: number | undefined;
  /** `column_count`: what the row has. */
  readonly actualColumns: number | undefined;
  /** `incomplete_batch`: the rows that did arrive, in order. */
  readonly rows: readonly QueryRow[] | undefined;
  /** `incomplete_batch`: the rows a complete batch has. */
  readonly expectedRows: number | undefined;

  constructor(message: string, reason: NvsmiErrorReason, options: NvsmiErrorOptions = {}) {
    super(options.lineNumber === undefined ? message : `line ${options.lineNumber}: ${message}`, { cause: options.cause });
    this.reason = reason;
    this.line = options.line;
    this.lineNumber = options.lineNumber;
    this.text = options.text;
    this.field = options.field;
    this.pciBusId = options.pciBusId;
    this.nvmlError = options.nvmlError;
    this.expectedColumns = options.expectedColumns;
    this.actualColumns = options.actualColumns;
    this.rows = options.rows;
    this.expectedRows = options.expectedRows;
  }
}

/** Whether an error is nvidia-smi's own report that it could not answer (rather than a parser's finding). */
export function isNvidiaSmiMessage(error: unknown): error is NvsmiError & { readonly text: string } {
  return error instanceof NvsmiError && error.text !== undefined;
}

type Where = Pick<NvsmiErrorOptions, 'lineNumber'>;
type MessageDetails = Pick<NvsmiErrorOptions, 'field' | 'pciBusId' | 'nvmlError'>;

/** nvidia-smi's own message, printed instead of data (usually with a non-zero exit). */
export function messageError(text: string, reason: NvsmiErrorReason, details: MessageDetails & Where = {}): NvsmiError {
  return new NvsmiError(`nvidia-smi: ${text}`, reason, { line: text, text, ...details });
}

/** A row whose column count differs from the header / field list; its values are not guessed at. */
export function columnCountError(line: string, lineNumber: number, expectedColumns: number, actualColumns: number): NvsmiError {
  return new NvsmiError(`expected ${expectedColumns} columns, got ${actualColumns}: ${quote(line)}`, 'column_count', { line, lineNumber, expectedColumns, actualColumns });
}

/** A line that should be a header and is not one. */
export function headerError(problem: string, line: string, lineNumber: number, kind = '--query-gpu'): NvsmiError {
  return new NvsmiError(`not a ${kind} header (${problem}): ${quote(line)}`, 'bad_header', { line, lineNumber });
}

/** A loop-mode batch that ended before every GPU had a row; the rows it did get travel with it. */
export function batchError(rows: readonly QueryRow[], expectedRows: number, why: string): NvsmiError {
  return new NvsmiError(`incomplete batch: ${rows.length} of ${expectedRows} rows (${why})`, 'incomplete_batch', { rows, expectedRows });
}

/** A line that is not what the output should hold (neither data nor a known nvidia-smi message), or too long. */
export function lineError(problem: string, line: string, lineNumber: number, reason: NvsmiErrorReason = 'unrecognised_line'): NvsmiError {
  return new NvsmiError(`${problem}: ${quote(line)}`, reason, { line, lineNumber });
}

const QUOTED_CHARS = 160;

/** The line for a message: JSON-quoted, cut after QUOTED_CHARS characters (the full line stays in `line`). */
function quote(line: string): string {
  return line.length <= QUOTED_CHARS ? JSON.stringify(line) : `${JSON.stringify(line.slice(0, QUOTED_CHARS))}...`;
}
