import { parseQueryCsv, splitLines, type QueryColumn, type QueryRow } from './csv.js';
import { lineError, type NvsmiError } from './errors.js';
import type { HelpQueryGpu, QueryGpuField } from './help.js';
import { createMessageClassifier } from './messages.js';
import { numberOf, textOf } from './value.js';

/**
 * The fields `--query-compute-apps` accepts, canonical name first, as `nvidia-smi --help-query-compute-apps` lists
 * them. The header prints the canonical name: `name` comes back as `process_name` (the dcgm-exporter #94 capture),
 * `used_memory` as `used_gpu_memory [MiB]`.
 */
const COMPUTE_APPS_FIELDS: readonly QueryGpuField[] = [
  { name: 'timestamp', aliases: [], description: 'The timestamp of when the query was made.' },
  { name: 'gpu_name', aliases: [], description: 'The official product name of the GPU.' },
  { name: 'gpu_bus_id', aliases: [], description: 'PCI bus id of the GPU.' },
  { name: 'gpu_serial', aliases: [], description: 'The serial number of the GPU.' },
  { name: 'gpu_uuid', aliases: [], description: 'The globally unique immutable identifier of the GPU.' },
  { name: 'pid', aliases: [], description: 'Process ID of the compute application.' },
  { name: 'process_name', aliases: ['name'], description: 'Process name.' },
  { name: 'used_gpu_memory', aliases: ['used_memory'], description: 'Amount of memory used on the GPU by the context.' },
];

/** The `--query-compute-apps` fields with their aliases, in the shape `--help-query-gpu` parses to. */
export const COMPUTE_APPS_HELP: HelpQueryGpu = {
  fields: COMPUTE_APPS_FIELDS,
  byName: new Map(COMPUTE_APPS_FIELDS.flatMap((field) => [field.name, ...field.aliases].map((name) => [name, field] as const))),
};

/** One process using a GPU, from `--query-compute-apps`; a field not queried (or printed absent) is undefined. */
export interface ComputeApp {
  readonly pid: number | undefined;
  /** The full name or path nvidia-smi prints (`/usr/local/bin/ffmpeg`, `vgpu`), not cut to 15 characters as in pmon. */
  readonly processName: string | undefined;
  /** GPU memory this process uses, MiB. */
  readonly usedMemoryMiB: number | undefined;
  readonly gpuUuid: string | undefined;
  readonly gpuBusId: string | undefined;
  readonly gpuName: string | undefined;
  /** Every queried value by canonical field name, as the CSV parser decodes it (timestamp, serial, ...). */
  readonly values: QueryRow;
}

/** A parsed `--query-compute-apps` answer. */
export interface ComputeAppsTable {
  readonly columns: readonly QueryColumn[];
  /** One entry per process and GPU (a process on two GPUs has two). */
  readonly apps: readonly ComputeApp[];
  /** Rows with the wrong column count and nvidia-smi messages among rows; the good rows are kept. */
  readonly errors: readonly NvsmiError[];
}

/**
 * Parses `nvidia-smi --query-compute-apps=<fields> --format=csv[,noheader][,nounits]` with the `--query-gpu` CSV
 * machinery: `header` and `fields` as for parseQueryCsv (aliases such as `name` and `used_memory` are known). No
 * process is a header alone (or empty text with `noheader`). Pure; throws as parseQueryCsv does.
 */
export function parseComputeApps(text: string, options: { readonly header: boolean; readonly fields?: readonly string[] }): ComputeAppsTable {
  const table = parseQueryCsv(text, { ...options, help: COMPUTE_APPS_HELP });
  const apps = table.rows.map((values) => ({
    pid: numberOf(values.get('pid')),
    processName: textOf(values.get('process_name')),
    usedMemoryMiB: numberOf(values.get('used_gpu_memory')),
    gpuUuid: textOf(values.get('gpu_uuid')),
    gpuBusId: textOf(values.get('gpu_bus_id')),
    gpuName: textOf(values.get('gpu_name')),
    values,
  }));
  return { columns: table.columns, apps, errors: table.errors };
}

/** One process in the per-GPU process list of `nvidia-smi -q` or `-q -x`. */
export interface GpuProcess {
  readonly pid: number | undefined;
  /** `C` (compute), `G` (graphics), `C+G`. */
  readonly type: string | undefined;
  readonly processName: string | undefined;
  /** MiB; undefined when printed `N/A` (as in containers and under some drivers). */
  readonly usedMemoryMiB: number | undefined;
  /** MIG instance ids; undefined without MIG (`N/A`) or on drivers that do not print them. */
  readonly gpuInstanceId: number | undefined;
  readonly computeInstanceId: number | undefined;
}

/** One GPU's process list. */
export interface GpuProcessList {
  /** The GPU's PCI bus id (`00000000:01:00.0`); undefined when the text does not name the GPU (an excerpt). */
  readonly pciBusId: string | undefined;
  /** The GPU's UUID (`-q -x` only). */
  readonly uuid: string | undefined;
  readonly processes: readonly GpuProcess[];
}

const XML_GPU = /<gpu id="([^"]*)">([\s\S]*?)<\/gpu>/g;
const XML_PROCESS = /<process_info>([\s\S]*?)<\/process_info>/g;

/**
 * The per-GPU process lists of `nvidia-smi -q -x` (each `<gpu>`'s `<processes>`; `<accounted_processes>` are left
 * out). Reads the few elements it needs by pattern rather than with an XML parser: nvidia-smi's XML has no
 * attributes on them and no CDATA. Pure; a document without `<gpu>` gives an empty list.
 */
export function parseGpuProcessesXml(xml: string): GpuProcessList[] {
  return Array.from(xml.matchAll(XML_GPU), ([, pciBusId, body]) => {
    const processesBlock = /<processes>([\s\S]*?)<\/processes>/.exec(body!)?.[1] ?? '';
    const processes = Array.from(processesBlock.matchAll(XML_PROCESS), ([, info]) => {
      const element = (name: string): string | undefined => decodeXmlText(new RegExp(`<${name}>([^<]*)</${name}>`).exec(info!)?.[1]);
      return processOf(element('pid'), element('type'), element('process_name'), element('used_memory'), element('gpu_instance_id'), element('compute_instance_id'));
    });
    return { pciBusId, uuid: decodeXmlText(/<uuid>([^<]*)<\/uuid>/.exec(body!)?.[1]), processes };
  });
}

const TEXT_GPU = /^GPU ([0-9A-Fa-f]+:[0-9A-Fa-f]+:[0-9A-Fa-f]+\.[0-9A-Fa-f]+)\s*$/;
const TEXT_KEY_VALUE = /^\s*([^:]+?)\s*:\s*(.*?)\s*$/;

/**
 * The per-GPU process lists of `nvidia-smi -q` text (the `Processes` section under each `GPU <bus id>` line; keys
 * `Process ID`, `Type`, `Name`, `Used GPU Memory`, and on 450+ drivers `GPU instance ID`, `Compute instance ID`).
 * An excerpt that starts at `Processes` gives one list without bus id; a GPU printed without a `Processes` section
 * (`-q -d UTILIZATION`, ...) is left out rather than reported idle. Pure.
 */
export function parseGpuProcessesText(text: string): GpuProcessList[] {
  const lists: { pciBusId: string | undefined; listed: boolean; processes: GpuProcess[] }[] = [];
  let inProcesses = false;
  let sectionIndent = 0;
  let current: Record<string, string> | undefined;
  let pendingInstance: Record<string, string> = {};
  const flush = (): void => {
    if (current === undefined) return;
    const list = lists.at(-1)!;
    list.processes.push(processOf(current['Process ID'], current['Type'], current['Name'], current['Used GPU Memory'], current['GPU instance ID'], current['Compute instance ID']));
    current = undefined;
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const gpu = TEXT_GPU.exec(line);
    if (gpu) {
      flush();
      inProcesses = false;
      lists.push({ pciBusId: gpu[1], listed: false, processes: [] });
      continue;
    }
    const indent = line.length - line.trimStart().length;
    if (line.trim() === 'Processes' || /^\s*Processes\s*:\s*None\s*$/.test(line)) {
      flush();
      inProcesses = line.trim() === 'Processes';
      sectionIndent = indent;
      if (lists.length === 0) lists.push({ pciBusId: undefined, listed: false, processes: [] });
      lists.at(-1)!.listed = true;
      continue;
    }
    if (!inProcesses || line.trim() === '') continue;
    if (indent <= sectionIndent) {
      flush();
      inProcesses = false;
      continue;
    }
    const pair = TEXT_KEY_VALUE.exec(line);
    if (!pair) continue;
    const [, key, value] = pair;
    // 450+ drivers print the instance ids before `Process ID`; keep them for the process that follows.
    if (key === 'GPU instance ID' || key === 'Compute instance ID') {
      flush();
      pendingInstance[key] = value!;
      continue;
    }
    if (key === 'Process ID') {
      flush();
      current = { ...pendingInstance, 'Process ID': value! };
      pendingInstance = {};
      continue;
    }
    if (current !== undefined) current[key!] = value!;
  }
  flush();
  return lists.filter((list) => list.listed).map((list) => ({ pciBusId: list.pciBusId, uuid: undefined, processes: list.processes }));
}

function processOf(pid?: string, type?: string, name?: string, usedMemory?: string, gpuInstance?: string, computeInstance?: string): GpuProcess {
  const integer = (text: string | undefined): number | undefined => (text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined);
  const memory = usedMemory === undefined ? undefined : /^(\d+) MiB$/.exec(usedMemory)?.[1];
  return {
    pid: integer(pid),
    type: type === undefined || type === 'N/A' ? undefined : type,
    processName: name === undefined || name === 'N/A' ? undefined : name,
    usedMemoryMiB: integer(memory),
    gpuInstanceId: integer(gpuInstance),
    computeInstanceId: integer(computeInstance),
  };
}

function decodeXmlText(text: string | undefined): string | undefined {
  return text?.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** One NVENC session from `nvidia-smi encodersessions` (one row per session per sample). */
export interface EncoderSession {
  readonly gpuIndex: number;
  readonly sessionId: number;
  readonly pid: number;
  /** `H.264`, `H.265`, `AV1`. */
  readonly codec: string;
  readonly widthPixels: number;
  readonly heightPixels: number;
  readonly averageFps: number;
  /** Average encode latency in microseconds (NVAPI's documentation says ms; NVIDIA/nvapi#18 shows it is us). */
  readonly averageLatencyUs: number;
}

const SESSION_ROW = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/;

/**
 * Parses `nvidia-smi encodersessions` scrolling output: `#` header lines are skipped, every other non-blank line must
 * be a session row, else it is reported in `errors` (with the typed nvidia-smi message when it is one). Pure.
 */
export function parseEncoderSessions(text: string): { readonly sessions: readonly EncoderSession[]; readonly errors: readonly NvsmiError[] } {
  const sessions: EncoderSession[] = [];
  const errors: NvsmiError[] = [];
  const classify = createMessageClassifier();
  for (const { line, lineNumber } of splitLines(text)) {
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const row = SESSION_ROW.exec(line);
    if (row) {
      const [gpuIndex, sessionId, pid, codec, width, height, fps, latency] = row.slice(1);
      sessions.push({ gpuIndex: Number(gpuIndex), sessionId: Number(sessionId), pid: Number(pid), codec: codec!, widthPixels: Number(width), heightPixels: Number(height), averageFps: Number(fps), averageLatencyUs: Number(latency) });
      continue;
    }
    const message = classify(line, lineNumber);
    if (message === 'continuation') continue;
    errors.push(message ?? lineError('not an encoder session row', line, lineNumber));
  }
  return { sessions, errors };
}
