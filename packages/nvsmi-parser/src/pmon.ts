import { columnCountError, headerError, isNvidiaSmiMessage, lineError, type NvsmiError } from './errors.js';
import { createEventLines, DEFAULT_MAX_LINE_LENGTH } from './lines.js';

/**
 * A column of `nvidia-smi pmon` output, as its header names it. Drivers before 535 print
 * `gpu pid type sm mem enc dec [fb] command`; 535 and later add `jpg ofa` after `dec` and, with `-s m`, `fb` and on
 * newer drivers `ccpm` before `command`. `-s m` alone leaves out the utilisation columns.
 */
export type PmonColumn = 'gpu' | 'pid' | 'type' | 'sm' | 'mem' | 'enc' | 'dec' | 'jpg' | 'ofa' | 'fb' | 'ccpm' | 'command';

/**
 * One row of pmon output: one process on one GPU during one interval, or a GPU's idle row (`pid` undefined: pmon
 * prints `-` in every column of a GPU without processes). A value is undefined when pmon printed `-` (no sample in
 * that interval) or when the layout has no such column: never 0.
 */
export interface PmonRow {
  /** nvidia-smi's GPU index (the `gpu` column). */
  readonly gpuIndex: number;
  /** The host pid, or undefined on an idle GPU's row. */
  readonly pid: number | undefined;
  /** `C` (compute), `G` (graphics), `C+G`, ...; undefined on an idle row. */
  readonly type: string | undefined;
  /** Streaming-multiprocessor (SM) utilisation of this process, percent. */
  readonly smPercent: number | undefined;
  /** Memory-controller utilisation, percent. */
  readonly memPercent: number | undefined;
  /** NVENC (encoder) utilisation, percent. */
  readonly encPercent: number | undefined;
  /** NVDEC (decoder) utilisation, percent. */
  readonly decPercent: number | undefined;
  /** NVJPG utilisation, percent (535+ drivers). */
  readonly jpgPercent: number | undefined;
  /** Optical-flow accelerator utilisation, percent (535+ drivers). */
  readonly ofaPercent: number | undefined;
  /** Frame-buffer memory used, MiB (pmon's header says `MB`; NVML counts MiB). With `-s m`. */
  readonly fbMiB: number | undefined;
  /** Confidential-compute protected memory used, MiB (newer drivers, with `-s m`). */
  readonly ccpmMiB: number | undefined;
  /**
   * The command name as printed, padding removed: pmon cuts it to 15 characters (`ray::TorchGPUWo`), as the
   * kernel does a process's `comm`. Undefined on an idle row.
   */
  readonly command: string | undefined;
}

/** The rows pmon printed for one interval, in the order printed (GPUs in index order). */
export interface PmonSample {
  readonly rows: readonly PmonRow[];
}

/** What the pmon stream parser found in the text fed so far. */
export type PmonStreamEvent =
  /** A header whose columns differ from the last one's (so the first header, and a layout change); repeats are silent. */
  | { readonly type: 'header'; readonly columns: readonly PmonColumn[] }
  /** One complete interval (see createPmonStreamParser for where an interval ends). */
  | { readonly type: 'sample'; readonly sample: PmonSample }
  /**
   * Something that was not a row: an nvidia-smi message (`not_supported` when the GPU cannot do pmon, `no_devices`,
   * `gpu_lost`, ...), a row with too few columns (`column_count`), a cell that is neither a number nor `-` or a row
   * before any header (`unrecognised_line`), an unknown header column (`bad_header`), an over-long line. The
   * stream goes on.
   */
  | { readonly type: 'error'; readonly error: NvsmiError };

/** An incremental parser for `nvidia-smi pmon` output. */
export interface PmonStreamParser {
  /** Feeds the next chunk, split anywhere (mid-line, mid-UTF-8 character); returns the events it completed. */
  push(chunk: string | Uint8Array): PmonStreamEvent[];
  /**
   * Emits the interval in progress now, when it has rows. For a caller that knows the burst is over (pmon prints an
   * interval at once, then sleeps): called mid-burst, it splits an interval in two.
   */
  flush(): PmonStreamEvent[];
  /** The stream ended: parses a last line without newline, emits the interval in progress, and starts over. */
  end(): PmonStreamEvent[];
}

/** Options of the pmon stream parser. */
export interface PmonStreamOptions {
  /** Longest line kept, in characters (default 1 MiB); a longer one is dropped up to its newline, with an error. */
  readonly maxLineLength?: number;
}

/** A whole pmon output (`pmon -c N`, or what a stopped pmon printed). */
export interface PmonOutput {
  /** The columns of the last header. */
  readonly columns: readonly PmonColumn[];
  /** The intervals, in order. */
  readonly samples: readonly PmonSample[];
  /** Per-line problems and nvidia-smi messages among the rows; good rows are kept. */
  readonly errors: readonly NvsmiError[];
}

const COLUMNS: ReadonlySet<string> = new Set<PmonColumn>(['gpu', 'pid', 'type', 'sm', 'mem', 'enc', 'dec', 'jpg', 'ofa', 'fb', 'ccpm', 'command']);
const NUMBER_COLUMNS = {
  sm: 'smPercent',
  mem: 'memPercent',
  enc: 'encPercent',
  dec: 'decPercent',
  jpg: 'jpgPercent',
  ofa: 'ofaPercent',
  fb: 'fbMiB',
  ccpm: 'ccpmMiB',
} as const satisfies Partial<Record<PmonColumn, keyof PmonRow>>;
const ABSENT = '-';
const INTEGER = /^\d+$/;
const NUMBER = /^\d+(?:\.\d+)?$/;

/**
 * Creates an incremental parser for `nvidia-smi pmon [-s um] [-d N] [-i ...]`, which prints a two-line header (the
 * column names, then `# Idx # C/G % ... name` units), then each interval one row per process per GPU (an all-`-`
 * row for a GPU without processes), and prints the header again every so often, even in the middle of an interval.
 *
 * Where an interval ends: pmon prints nothing between intervals, so a row starts a new interval when its GPU index
 * is lower than the previous row's (GPUs come in index order) or when its GPU and pid (`-` for an idle row) already
 * have a row in the interval being gathered. An interval is therefore emitted when the first row of the next one
 * arrives (one interval late), or at `flush()` / `end()`. Headers never end an interval. What the text cannot
 * show: on one GPU, an interval whose processes all differ from the previous interval's (every process exited and
 * new ones started in between) joins that previous interval. Never throws on input; pure apart from its buffer.
 */
export function createPmonStreamParser(options: PmonStreamOptions = {}): PmonStreamParser {
  let columns: readonly PmonColumn[] | undefined;
  let rows: PmonRow[] = [];
  let keys = new Set<string>();

  function emitSample(): void {
    if (rows.length > 0) events.emit({ type: 'sample', sample: { rows } });
    rows = [];
    keys = new Set();
  }

  function handleLine(line: string, lineNumber: number): void {
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const header = parsePmonHeader(line, lineNumber);
      if (header === 'units') return;
      if (!Array.isArray(header)) {
        events.emit({ type: 'error', error: header as NvsmiError });
        return;
      }
      if (columns === undefined || header.join() !== columns.join()) {
        // A different layout starts a new interval: rows of two layouts are never mixed.
        if (columns !== undefined) emitSample();
        columns = header;
        events.emit({ type: 'header', columns });
      }
      return;
    }
    if (events.message(line, lineNumber)) return;
    if (columns === undefined) {
      events.emit({ type: 'error', error: lineError('a pmon row before any header', line, lineNumber) });
      return;
    }
    const row = decodePmonRow(columns, line, lineNumber);
    if (!isRow(row)) {
      events.emit({ type: 'error', error: row });
      return;
    }
    const key = `${row.gpuIndex}/${row.pid ?? ABSENT}`;
    const previous = rows.at(-1);
    if (keys.has(key) || (previous !== undefined && row.gpuIndex < previous.gpuIndex)) emitSample();
    rows.push(row);
    keys.add(key);
  }

  const events = createEventLines<PmonStreamEvent>({
    maxLineLength: options.maxLineLength,
    onLine: handleLine,
    errorEvent: (error) => ({ type: 'error', error }),
  });

  return {
    push: (chunk) => events.push(chunk),
    flush: () => events.collect(emitSample),
    end: () =>
      events.end(() => {
        emitSample();
        columns = undefined;
      }),
  };
}

/**
 * Reads a pmon header line: its columns for the names line (`# gpu pid type sm ... command`), `units` for the
 * second line (`# Idx # C/G % ... name`), or an NvsmiError (`bad_header`) naming a column this parser does not
 * know. Pure.
 */
export function parsePmonHeader(line: string, lineNumber = 1): PmonColumn[] | 'units' | NvsmiError {
  const names = line.replace(/^#/, '').trim().split(/\s+/);
  if (names[0] === 'Idx') return 'units';
  if (names[0] !== 'gpu') return headerError('it does not start with gpu', line, lineNumber, 'pmon');
  const unknown = names.find((name) => !COLUMNS.has(name));
  if (unknown !== undefined) return headerError(`unknown column ${unknown}`, line, lineNumber, 'pmon');
  if (new Set(names).size !== names.length || !names.includes('pid')) return headerError('a column twice, or no pid', line, lineNumber, 'pmon');
  if (names.includes('command') && names.at(-1) !== 'command') return headerError('command is not the last column', line, lineNumber, 'pmon');
  return names as PmonColumn[];
}

/**
 * Decodes one pmon data line against the header's columns: a row, or an NvsmiError (`column_count` when the line
 * is too short, `unrecognised_line` for a cell that is neither a number nor `-`). The command is the rest of the
 * line, so a name with a space stays whole. Pure.
 */
export function decodePmonRow(columns: readonly PmonColumn[], line: string, lineNumber: number): PmonRow | NvsmiError {
  const fixed = columns.at(-1) === 'command' ? columns.length - 1 : columns.length;
  const cells: string[] = [];
  let rest = line.trimStart();
  while (cells.length < fixed && rest !== '') {
    const end = rest.search(/\s/);
    cells.push(end < 0 ? rest : rest.slice(0, end));
    rest = end < 0 ? '' : rest.slice(end).trimStart();
  }
  const command = rest.trimEnd();
  if (cells.length < fixed || (fixed < columns.length) !== (command !== '')) {
    return columnCountError(line, lineNumber, columns.length, line.trim().split(/\s+/).length);
  }
  const row: Record<string, number | string | undefined> = {
    gpuIndex: undefined,
    pid: undefined,
    type: undefined,
    smPercent: undefined,
    memPercent: undefined,
    encPercent: undefined,
    decPercent: undefined,
    jpgPercent: undefined,
    ofaPercent: undefined,
    fbMiB: undefined,
    ccpmMiB: undefined,
    command: fixed < columns.length && command !== ABSENT ? command : undefined,
  };
  for (let i = 0; i < fixed; i++) {
    const column = columns[i]!;
    const cell = cells[i]!;
    if (column === 'type') {
      row.type = cell === ABSENT ? undefined : cell;
      continue;
    }
    if (column === 'gpu' || column === 'pid') {
      if (!INTEGER.test(cell) && !(column === 'pid' && cell === ABSENT)) return lineError(`${column} is not a number`, line, lineNumber);
      row[column === 'gpu' ? 'gpuIndex' : 'pid'] = cell === ABSENT ? undefined : Number(cell);
      continue;
    }
    if (column === 'command') continue;
    if (cell !== ABSENT && !NUMBER.test(cell)) return lineError(`${column} is neither a number nor -`, line, lineNumber);
    row[NUMBER_COLUMNS[column]] = cell === ABSENT ? undefined : Number(cell);
  }
  return row as unknown as PmonRow;
}

/**
 * Parses a whole `nvidia-smi pmon` output into intervals (the same rows and intervals the stream parser gives for
 * it). Pure. Throws nvidia-smi's message when it printed one and no row (`Not supported on the device(s)` ->
 * `not_supported`), and a `bad_header` NvsmiError when there is neither row nor header.
 */
export function parsePmon(text: string): PmonOutput {
  const parser = createPmonStreamParser({ maxLineLength: Math.max(DEFAULT_MAX_LINE_LENGTH, text.length) });
  const samples: PmonSample[] = [];
  const errors: NvsmiError[] = [];
  let columns: readonly PmonColumn[] | undefined;
  for (const event of [...parser.push(text), ...parser.end()]) {
    if (event.type === 'header') columns = event.columns;
    else if (event.type === 'sample') samples.push(event.sample);
    else errors.push(event.error);
  }
  if (samples.length === 0) {
    const message = errors.find(isNvidiaSmiMessage);
    if (message !== undefined) throw message;
  }
  if (columns === undefined) throw headerError('no header line', '', 1, 'pmon');
  return { columns, samples, errors };
}

function isRow(row: PmonRow | NvsmiError): row is PmonRow {
  return !(row instanceof Error);
}
