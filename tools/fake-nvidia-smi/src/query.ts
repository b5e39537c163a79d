import type { HelpQueryGpu } from '@proj/nvsmi-parser';
import type { QueryFormat } from './args.js';

/** An all-fields capture cut into cells exactly as printed: `header[i]` is `power.draw [W]`, a cell `71.15 W`. */
export interface CaptureTable {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** The answer to one `--query-gpu`: lines without their newline, or the invalid-field failure. */
export type QueryAnswer =
  | { readonly kind: 'ok'; readonly headerLine: string; readonly rowLines: readonly string[] }
  | { readonly kind: 'invalid-field'; readonly message: string };

const SEPARATOR = ', ';

/** Cuts an all-fields capture (`--format=csv`: header, then one row per GPU) into cells. Pure. */
export function parseCaptureTable(text: string): CaptureTable {
  const [header, ...rows] = text.split('\n').filter((line) => line !== '');
  if (header === undefined) throw new Error('empty all-fields capture');
  const table = { header: header.split(SEPARATOR), rows: rows.map((row) => row.split(SEPARATOR)) };
  for (const row of table.rows) {
    if (row.length !== table.header.length) throw new Error(`all-fields capture row has ${row.length} cells for ${table.header.length} columns`);
  }
  return table;
}

/**
 * Answers `--query-gpu=<fields> --format=csv[,noheader][,nounits]` as nvidia-smi does, by picking columns of an
 * all-fields capture: aliases are accepted and printed under their canonical name; the header keeps its units
 * (`power.draw [W]`) even with nounits, which strips ` W` from the values only; one unknown field fails the whole
 * query with `Field "x" is not a valid field to query.` (the caller exits 2). Pure.
 */
export function answerQuery(table: CaptureTable, help: HelpQueryGpu, fields: readonly string[], format: QueryFormat): QueryAnswer {
  const columnOf = new Map(table.header.map((cell, i) => [cell.replace(/ \[[^\]]*\]$/, ''), i]));
  const columns: number[] = [];
  for (const field of fields) {
    const canonical = help.byName.get(field)?.name;
    if (canonical === undefined) return { kind: 'invalid-field', message: `Field "${field}" is not a valid field to query.\n\n` };
    const column = columnOf.get(canonical);
    if (column === undefined) throw new Error(`the all-fields capture has no column ${canonical}, which its help lists`);
    columns.push(column);
  }
  const units = columns.map((column) => / \[([^\]]*)\]$/.exec(table.header[column]!)?.[1]);
  const cell = (row: readonly string[], column: number, i: number): string => {
    const value = row[column]!;
    const unit = units[i];
    return format.nounits && unit !== undefined && value.endsWith(` ${unit}`) ? value.slice(0, -unit.length - 1) : value;
  };
  return {
    kind: 'ok',
    headerLine: columns.map((column) => table.header[column]!).join(SEPARATOR),
    rowLines: table.rows.map((row) => columns.map((column, i) => cell(row, column, i)).join(SEPARATOR)),
  };
}
