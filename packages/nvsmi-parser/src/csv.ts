import { columnCountError, headerError, isNvidiaSmiMessage, type NvsmiError } from './errors.js';
import type { HelpQueryGpu } from './help.js';
import { createMessageClassifier } from './messages.js';
import { decodeValue, type NvsmiValue } from './value.js';

/** One column of a `--query-gpu` answer. */
export interface QueryColumn {
  /** The canonical field name (`power.draw`), which keys the column's values in every row. */
  readonly field: string;
  /** The unit the header gives (`W` for `power.draw [W]`), or undefined (no header, or a field without unit). */
  readonly unit: string | undefined;
}

/** One GPU's row: canonical field name -> decoded value, in column order. */
export type QueryRow = ReadonlyMap<string, NvsmiValue>;

/** A parsed one-shot `--query-gpu` answer. */
export interface QueryTable {
  readonly columns: readonly QueryColumn[];
  /** One row per GPU, in nvidia-smi's order (by index). */
  readonly rows: readonly QueryRow[];
  /** Per-line problems (rows with the wrong column count, nvidia-smi messages between rows); good rows are kept. */
  readonly errors: readonly NvsmiError[];
}

/** How the answer was asked for. */
export interface QueryCsvOptions {
  /** Whether the first line is a header: true for `--format=csv`, false for `--format=csv,noheader`. */
  readonly header: boolean;
  /**
   * The `--query-gpu` field list as passed, in order. Required with `header: false` (it names the columns);
   * with a header it is checked against the header's column count (and names, when `help` is given).
   */
  readonly fields?: readonly string[];
  /** The driver's `--help-query-gpu`, to turn aliases in `fields` into canonical names (`gpu_name` -> `name`). */
  readonly help?: HelpQueryGpu;
}

/** nvidia-smi separates values by a comma and one space, and quotes nothing. */
export const CSV_SEPARATOR = ', ';

const HEADER_CELL = /^([^\s[\]]+)(?: \[([^\]]+)\])?$/;

/**
 * Parses a `--query-gpu` CSV header line (`name, power.draw [W]`) into columns. Pure. Throws an NvsmiError (`bad_header`) when a
 * cell is not a field name with an optional ` [unit]`.
 */
export function parseQueryHeader(line: string, lineNumber = 1): QueryColumn[] {
  return line.split(CSV_SEPARATOR).map((cell, i) => {
    const match = HEADER_CELL.exec(cell);
    if (!match) throw headerError(`column ${i + 1} is ${JSON.stringify(cell)}`, line, lineNumber);
    return { field: match[1]!, unit: match[2] };
  });
}

/** The columns of a `noheader` answer: each requested field under its canonical name (when `help` knows it). */
export function columnsForFields(fields: readonly string[], help?: HelpQueryGpu): QueryColumn[] {
  return fields.map((field) => ({ field: help?.byName.get(field)?.name ?? field, unit: undefined }));
}

/**
 * Decodes one CSV line against its columns: a row, or an NvsmiError (`column_count`) naming the line when its column count
 * differs (a value is never put under a guessed column). Pure.
 */
export function decodeQueryRow(columns: readonly QueryColumn[], line: string, lineNumber: number): QueryRow | NvsmiError {
  const cells = line.split(CSV_SEPARATOR);
  if (cells.length !== columns.length) return columnCountError(line, lineNumber, columns.length, cells.length);
  return new Map(columns.map((column, i) => [column.field, decodeValue(cells[i]!, column.unit)]));
}

/** Parses a header line and checks it against the requested fields; throws an NvsmiError (`bad_header`) when they disagree. */
export function headerColumns(line: string, lineNumber: number, fields?: readonly string[], help?: HelpQueryGpu): QueryColumn[] {
  const columns = parseQueryHeader(line, lineNumber);
  if (fields === undefined) return columns;
  if (fields.length !== columns.length) {
    throw headerError(`${columns.length} columns for ${fields.length} requested fields`, line, lineNumber);
  }
  if (help !== undefined) {
    columnsForFields(fields, help).forEach((expected, i) => {
      if (expected.field !== columns[i]!.field) {
        throw headerError(`column ${i + 1} is ${columns[i]!.field}, requested ${fields[i]}`, line, lineNumber);
      }
    });
  }
  return columns;
}

/** Lines without their `\n` and a trailing `\r`, with 1-based numbers. */
export function splitLines(text: string): { line: string; lineNumber: number }[] {
  return text.split('\n').map((line, i) => ({ line: line.endsWith('\r') ? line.slice(0, -1) : line, lineNumber: i + 1 }));
}

/**
 * Parses a one-shot `nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits]` answer. Pure.
 *
 * Blank lines are skipped. nvidia-smi's own messages between rows (a lost GPU among others) and rows with the wrong
 * column count are reported in `errors`; the other rows are kept. When the answer holds no row but a message
 * (`Field "x" is not a valid field to query.`, `No devices were found`, ...), that typed error is thrown; a missing
 * or wrong header throws an NvsmiError with reason `bad_header`.
 */
export function parseQueryCsv(text: string, options: QueryCsvOptions): QueryTable {
  if (!options.header && options.fields === undefined) throw new TypeError('parseQueryCsv: fields are required with header: false');
  let columns = options.header ? undefined : columnsForFields(options.fields!, options.help);
  let headerLine: string | undefined;
  const classify = createMessageClassifier();
  const rows: QueryRow[] = [];
  const errors: NvsmiError[] = [];
  for (const { line, lineNumber } of splitLines(text)) {
    if (line.trim() === '' || line === headerLine) continue;
    const message = classify(line, lineNumber);
    if (message === 'continuation') continue;
    if (message) {
      errors.push(message);
      continue;
    }
    if (columns === undefined) {
      columns = headerColumns(line, lineNumber, options.fields, options.help);
      headerLine = line;
      continue;
    }
    const row = decodeQueryRow(columns, line, lineNumber);
    if (row instanceof Error) errors.push(row);
    else rows.push(row);
  }
  const firstMessage = errors.find(isNvidiaSmiMessage);
  if (rows.length === 0 && firstMessage !== undefined) throw firstMessage;
  if (columns === undefined) throw headerError('no header line', '', 1);
  return { columns, rows, errors };
}
