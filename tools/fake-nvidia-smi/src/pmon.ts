import { parsePmon, type PmonRow, type PmonSample } from '@proj/nvsmi-parser';
import type { QueryFormat } from './args.js';
import type { CaptureTable } from './query.js';

/** pmon's column sets: drivers before 535 (`sm mem enc dec`, `fb`) and 535+ (`... jpg ofa`, `fb ccpm`). */
export type PmonLayout = 'old' | 'new';

/** A pmon capture the fake replays: its intervals, as the parser reads them, and the layout it was printed in. */
export interface PmonReplay {
  readonly samples: readonly PmonSample[];
  readonly layout: PmonLayout;
}

// Short name -> capture file (without .txt) in tools/fixtures/nvidia-smi-pmon.
const PMON_CAPTURES: Record<string, string> = {
  'datarhei-ffmpeg': 'datarhei-core__pmon-s-um-ffmpeg-multisample',
  'ray-3gpu': 'ray-dashboard__pmon-c1-jpg-ofa-3gpu-idle-row',
};

/** The capture printed by FAKE_NVIDIA_SMI_PMON_FAIL=not-supported: the GT 640's words, verbatim. */
export const NOT_SUPPORTED_CAPTURE = 'nvidia-patch-issue89__pmon-gt640-not-supported-error';

/** Every name FAKE_NVIDIA_SMI_PMON accepts. */
export function pmonCaptureNames(): string[] {
  return Object.keys(PMON_CAPTURES);
}

/** The capture file (without .txt) a short pmon name stands for, or undefined. */
export function pmonCaptureFile(name: string): string | undefined {
  return PMON_CAPTURES[name];
}

/** Reads a pmon capture into the intervals the fake replays. Pure. */
export function parsePmonReplay(text: string): PmonReplay {
  const output = parsePmon(text);
  if (output.errors.length > 0) throw new Error(`pmon capture has unreadable lines: ${output.errors[0]!.message}`);
  return { samples: output.samples, layout: output.columns.includes('jpg') ? 'new' : 'old' };
}

interface Column {
  readonly name: string;
  readonly unit: string;
  readonly value: (row: PmonRow) => number | undefined;
}

const UTILISATION: Record<PmonLayout, readonly Column[]> = {
  old: [
    { name: 'sm', unit: '%', value: (row) => row.smPercent },
    { name: 'mem', unit: '%', value: (row) => row.memPercent },
    { name: 'enc', unit: '%', value: (row) => row.encPercent },
    { name: 'dec', unit: '%', value: (row) => row.decPercent },
  ],
  new: [
    { name: 'sm', unit: '%', value: (row) => row.smPercent },
    { name: 'mem', unit: '%', value: (row) => row.memPercent },
    { name: 'enc', unit: '%', value: (row) => row.encPercent },
    { name: 'dec', unit: '%', value: (row) => row.decPercent },
    { name: 'jpg', unit: '%', value: (row) => row.jpgPercent },
    { name: 'ofa', unit: '%', value: (row) => row.ofaPercent },
  ],
};
const MEMORY: Record<PmonLayout, readonly Column[]> = {
  old: [{ name: 'fb', unit: 'MB', value: (row) => row.fbMiB }],
  new: [
    { name: 'fb', unit: 'MB', value: (row) => row.fbMiB },
    { name: 'ccpm', unit: 'MB', value: (row) => row.ccpmMiB },
  ],
};

// Widths as the captures print them: the old layout (datarhei) pads every cell to 6 and the command to 15; the new
// one (Ray) widens the metrics to 7, keeps pid and type at 11 and 6 in rows but not in the header, and does not pad
// the command.
const WIDTHS: Record<PmonLayout, { headerPid: number; headerType: number; metric: number; beforeCommand: string; padCommand: number }> = {
  old: { headerPid: 11, headerType: 6, metric: 6, beforeCommand: '   ', padCommand: 15 },
  new: { headerPid: 12, headerType: 7, metric: 7, beforeCommand: '    ', padCommand: 0 },
};

/** The columns `-s <select>` prints in a layout: `u` utilisation, `m` frame-buffer memory, in that order. */
function columnsFor(layout: PmonLayout, select: string): Column[] {
  return [...(select.includes('u') ? UTILISATION[layout] : []), ...(select.includes('m') ? MEMORY[layout] : [])];
}

/** pmon's two header lines, newline-terminated. Pure. */
export function formatPmonHeader(layout: PmonLayout, select: string): string {
  const w = WIDTHS[layout];
  const columns = columnsFor(layout, select);
  const names = `# gpu${'pid'.padStart(w.headerPid)}${'type'.padStart(w.headerType)}${columns.map((c) => c.name.padStart(w.metric)).join('')}${w.beforeCommand}command`;
  const units = `# Idx${'#'.padStart(w.headerPid)}${'C/G'.padStart(w.headerType)}${columns.map((c) => c.unit.padStart(w.metric)).join('')}${w.beforeCommand}name`;
  return `${names}\n${units}\n`;
}

/** One pmon row, newline-terminated: `-` for an absent value, the command cut to 15 characters. Pure. */
export function formatPmonRow(layout: PmonLayout, select: string, row: PmonRow): string {
  const w = WIDTHS[layout];
  const cell = (value: number | string | undefined, width: number) => String(value ?? '-').padStart(width);
  const metrics = columnsFor(layout, select).map((column) => cell(column.value(row), w.metric));
  const command = (row.command ?? '-').slice(0, 15).padEnd(row.command === undefined ? 0 : w.padCommand);
  return `${cell(row.gpuIndex, 5)}${cell(row.pid, 11)}${cell(row.type, 6)}${metrics.join('')}${w.beforeCommand}${command}\n`;
}

/** The rows of interval `tick` (the capture's intervals in a loop) on the GPUs asked for (all when `gpus` is undefined). */
export function pmonRowsFor(replay: PmonReplay, tick: number, gpus: readonly number[] | undefined): readonly PmonRow[] {
  const rows = replay.samples[tick % replay.samples.length]!.rows;
  return gpus === undefined ? rows : rows.filter((row) => gpus.includes(row.gpuIndex));
}

/**
 * Reads a pid map (`<capture pid> <pid>` per line; other lines ignored), so that a test can have pmon report a
 * process it started. Pure.
 */
export function parsePidMap(text: string): Map<number, number> {
  const map = new Map<number, number>();
  for (const line of text.split('\n')) {
    const match = /^\s*(\d+)\s+(\d+)\s*$/.exec(line);
    if (match) map.set(Number(match[1]), Number(match[2]));
  }
  return map;
}

/** The rows with their pids replaced as `map` says. Pure. */
export function remapPids(rows: readonly PmonRow[], map: ReadonlyMap<number, number>): readonly PmonRow[] {
  if (map.size === 0) return rows;
  return rows.map((row) => (row.pid !== undefined && map.has(row.pid) ? { ...row, pid: map.get(row.pid)! } : row));
}

/**
 * Prints interval `tick`: its rows, with the header pair before the first row of the run (`printedRows` 0) and again
 * after every `headerEvery` rows (0: never again), wherever that falls, as pmon re-prints it mid-interval in the
 * datarhei capture. Returns the text and the new row count. Pure.
 */
export function formatPmonInterval(
  layout: PmonLayout,
  select: string,
  rows: readonly PmonRow[],
  printedRows: number,
  headerEvery: number,
): { text: string; printedRows: number } {
  let text = printedRows === 0 ? formatPmonHeader(layout, select) : '';
  let count = printedRows;
  for (const row of rows) {
    if (count > 0 && headerEvery > 0 && count % headerEvery === 0) text += formatPmonHeader(layout, select);
    text += formatPmonRow(layout, select, row);
    count++;
  }
  return { text, printedRows: count };
}

/** `--query-compute-apps` fields: canonical name, aliases, and the unit its header prints. */
const COMPUTE_APPS_FIELDS: readonly { name: string; aliases: readonly string[]; unit?: string }[] = [
  { name: 'timestamp', aliases: [] },
  { name: 'gpu_name', aliases: [] },
  { name: 'gpu_bus_id', aliases: [] },
  { name: 'gpu_serial', aliases: [] },
  { name: 'gpu_uuid', aliases: [] },
  { name: 'pid', aliases: [] },
  { name: 'process_name', aliases: ['name'] },
  { name: 'used_gpu_memory', aliases: ['used_memory'], unit: 'MiB' },
];
// The all-fields capture's column each GPU field is copied from.
const GPU_COLUMN: Record<string, string> = { timestamp: 'timestamp', gpu_name: 'name', gpu_bus_id: 'pci.bus_id', gpu_serial: 'serial', gpu_uuid: 'uuid' };

/**
 * Answers `--query-compute-apps=<fields> --format=csv[,noheader][,nounits]` from one pmon interval: one row per
 * compute process (type `C` or `C+G`; graphics-only processes are not compute apps), its memory from pmon's `fb`, its
 * GPU's name, bus id, serial and UUID from the machine's all-fields capture (`[N/A]` for a GPU index the machine does
 * not have). An unknown field fails the whole query, as with `--query-gpu`. Pure.
 */
export function answerComputeApps(rows: readonly PmonRow[], gpuTable: CaptureTable, fields: readonly string[], format: QueryFormat): { kind: 'ok'; text: string } | { kind: 'invalid-field'; message: string } {
  const resolved: (typeof COMPUTE_APPS_FIELDS)[number][] = [];
  for (const field of fields) {
    const known = COMPUTE_APPS_FIELDS.find((f) => f.name === field || f.aliases.includes(field));
    if (known === undefined) return { kind: 'invalid-field', message: `Field "${field}" is not a valid field to query.\n\n` };
    resolved.push(known);
  }
  const gpuCell = (gpuIndex: number, column: string): string => {
    const header = gpuTable.header.map((cell) => cell.replace(/ \[[^\]]*\]$/, ''));
    const gpu = gpuTable.rows.find((row) => row[header.indexOf('index')] === String(gpuIndex));
    return gpu?.[header.indexOf(column)] ?? '[N/A]';
  };
  const value = (row: PmonRow, field: string): string => {
    if (field === 'pid') return String(row.pid);
    if (field === 'process_name') return row.command ?? '[N/A]';
    if (field === 'used_gpu_memory') return row.fbMiB === undefined ? '[N/A]' : format.nounits ? String(row.fbMiB) : `${row.fbMiB} MiB`;
    return gpuCell(row.gpuIndex, GPU_COLUMN[field]!);
  };
  const apps = rows.filter((row) => row.pid !== undefined && row.type?.includes('C'));
  const header = format.noheader ? [] : [resolved.map((f) => (f.unit === undefined ? f.name : `${f.name} [${f.unit}]`)).join(', ')];
  const lines = [...header, ...apps.map((row) => resolved.map((f) => value(row, f.name)).join(', '))];
  return { kind: 'ok', text: lines.map((line) => `${line}\n`).join('') };
}
