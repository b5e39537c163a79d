import { columnsForFields, decodeQueryRow, headerColumns, type QueryColumn, type QueryRow } from './csv.js';
import { batchError, lineError, NvsmiError } from './errors.js';
import type { HelpQueryGpu } from './help.js';
import { createEventLines } from './lines.js';

/** How the loop-mode child was started, and what is known about the machine. */
export interface QueryStreamOptions {
  /** Whether a header line comes first: true for `--format=csv`, false for `--format=csv,noheader`. */
  readonly header: boolean;
  /**
   * The `--query-gpu` field list as passed, in order. Required with `header: false`; with a header it is checked
   * against it. Include `index` (or `uuid`): it lets the parser see where a tick starts (see `gpuCount`).
   */
  readonly fields?: readonly string[];
  /**
   * Rows per tick: the number of GPUs, from `nvidia-smi -L` (`parseGpuList`) or a first one-shot query. A batch is
   * emitted as soon as it has this many rows, so it is never held back until the next tick.
   */
  readonly gpuCount: number;
  /** The driver's `--help-query-gpu`, to key rows by canonical names when `fields` uses aliases. */
  readonly help?: HelpQueryGpu;
  /** Longest line kept, in characters (default 1 MiB); a longer one is dropped up to its newline, with an error. */
  readonly maxLineLength?: number;
}

/** What the stream parser found in the text fed so far. */
export type QueryStreamEvent =
  /** The header line (only with `header: true`), once. */
  | { readonly type: 'header'; readonly columns: readonly QueryColumn[] }
  /** One complete tick: a row for each of the `gpuCount` GPUs, in the order printed. */
  | { readonly type: 'batch'; readonly rows: readonly QueryRow[] }
  /**
   * Something that was not a row of a complete batch, told by `error.reason`: an nvidia-smi message (`gpu_lost`,
   * ...), a line with the wrong column count (`column_count`), an incomplete batch with the rows it got in
   * `error.rows` (`incomplete_batch`), a bad header or an over-long line. The stream goes on: later batches are parsed as usual.
   */
  | { readonly type: 'error'; readonly error: NvsmiError };

/** An incremental parser for `nvidia-smi --query-gpu=... -lms N` output. */
export interface QueryStreamParser {
  /** Feeds the next chunk, split anywhere (mid-line, mid-UTF-8 character); returns the events it completed. */
  push(chunk: string | Uint8Array): QueryStreamEvent[];
  /** The stream ended: parses a last line without newline, reports an unfinished batch, and starts over. */
  end(): QueryStreamEvent[];
}

// Columns that name a GPU, in order of preference; when one is queried, a GPU seen twice means a new tick began.
const IDENTITY_FIELDS = ['index', 'uuid', 'gpu_uuid', 'pci.bus_id', 'gpu_bus_id'];

/**
 * Creates an incremental parser for loop mode (`-l N` / `-lms N`), where nvidia-smi prints the header once (unless
 * `noheader`) and then one row per GPU per tick, with nothing between ticks.
 *
 * Batch boundaries: a batch is complete when it holds `gpuCount` rows. When `index`, `uuid` or `pci.bus_id` is
 * among the columns, a GPU that comes round again before that ends the batch early: the partial batch is reported
 * as an `incomplete_batch` NvsmiError carrying its rows, and the new tick starts with that row. So a GPU that drops out of the
 * output (lost) costs one incomplete batch per tick, never a batch with rows from two ticks. Without such a
 * column only the count aligns batches, so query `index`. Never throws on input; pure apart from its own buffer.
 */
export function createQueryStreamParser(options: QueryStreamOptions): QueryStreamParser {
  const { gpuCount } = options;
  if (!Number.isSafeInteger(gpuCount) || gpuCount < 1) throw new RangeError(`gpuCount must be a positive integer, got ${gpuCount}`);
  if (!options.header && options.fields === undefined) throw new TypeError('createQueryStreamParser: fields are required with header: false');
  const initialColumns = options.header ? undefined : columnsForFields(options.fields!, options.help);

  let columns = initialColumns;
  let identity = identityField(columns);
  let headerLine: string | undefined;
  let pending: { row: QueryRow; gpu: string | undefined }[] = [];

  function handleLine(line: string, lineNumber: number): void {
    if (line.trim() === '' || line === headerLine || events.message(line, lineNumber)) return;
    if (columns === undefined) {
      try {
        columns = headerColumns(line, lineNumber, options.fields, options.help);
      } catch (error) {
        events.emit({ type: 'error', error: error as NvsmiError });
        return;
      }
      headerLine = line;
      identity = identityField(columns);
      events.emit({ type: 'header', columns });
      return;
    }
    const row = decodeQueryRow(columns, line, lineNumber);
    if (row instanceof NvsmiError) {
      events.emit({ type: 'error', error: row });
      return;
    }
    // A GPU index is a number; a line that fits the column count but not that is garbage, kept out of batches.
    if (identity === 'index' && row.get('index')?.kind !== 'number') {
      events.emit({ type: 'error', error: lineError('a row whose index is not a number', line, lineNumber) });
      return;
    }
    const gpu = identity === undefined ? undefined : row.get(identity)?.text;
    if (gpu !== undefined && pending.some((seen) => seen.gpu === gpu)) {
      events.emit({ type: 'error', error: batchError(pending.map((seen) => seen.row), gpuCount, `${identity} ${gpu} came round again`) });
      pending = [];
    }
    pending.push({ row, gpu });
    if (pending.length === gpuCount) {
      events.emit({ type: 'batch', rows: pending.map((seen) => seen.row) });
      pending = [];
    }
  }

  const events = createEventLines<QueryStreamEvent>({
    maxLineLength: options.maxLineLength,
    onLine: handleLine,
    errorEvent: (error) => ({ type: 'error', error }),
  });

  return {
    push: (chunk) => events.push(chunk),
    end: () =>
      events.end(() => {
        if (pending.length > 0) events.emit({ type: 'error', error: batchError(pending.map((seen) => seen.row), gpuCount, 'the stream ended') });
        columns = initialColumns;
        identity = identityField(columns);
        headerLine = undefined;
        pending = [];
      }),
  };
}

function identityField(columns: readonly QueryColumn[] | undefined): string | undefined {
  return IDENTITY_FIELDS.find((field) => columns?.some((column) => column.field === field));
}
