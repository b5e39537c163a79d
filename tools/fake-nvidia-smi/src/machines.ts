import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseHelpQueryGpu, type HelpQueryGpu } from '@proj/nvsmi-parser';
import { FakeConfigError } from './config.js';
import { parseCaptureTable, type CaptureTable } from './query.js';

/** tools/fixtures/nvidia-smi, from src/ or dist/ alike. */
export const defaultFixturesDir = fileURLToPath(new URL('../../fixtures/nvidia-smi/', import.meta.url));

/** A machine the fake plays: what each command prints. */
export interface Machine {
  readonly name: string;
  /** True for the 2-GPU machine assembled from two real single-GPU captures. */
  readonly synthetic: boolean;
  readonly helpQueryGpuText: string;
  readonly help: HelpQueryGpu;
  /** `-L` output. */
  readonly listText: string;
  /** `--version` output, when captured. */
  readonly versionText: string | undefined;
  /** `-h` output, when captured. */
  readonly usageText: string | undefined;
  readonly idle: CaptureTable;
  /** The load capture; the idle one again where only one capture exists. */
  readonly load: CaptureTable;
  /** `NVML version : 590.48` from `--version`, for the version-mismatch message. */
  readonly nvmlVersion: string | undefined;
}

// Short name -> capture prefix (`<prefix>__<what>.txt`).
const REAL_MACHINES: Record<string, string> = {
  h100: 'utkuozdemir__linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01',
  'h100-mig': 'utkuozdemir__linux-x86_64__nvidia-h100-mig__590.48.01',
  h200: 'utkuozdemir__linux-x86_64__nvidia-h200__590.48.01',
  'rtx-2080-super-595': 'utkuozdemir__linux-x86_64__nvidia-geforce-rtx-2080-super__595.71.05',
  'rtx-2080-super-610': 'utkuozdemir__linux-x86_64__nvidia-geforce-rtx-2080-super__610.57.04',
  'rtx-4080-super': 'utkuozdemir__linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05',
  'rtx-2080-super-465': 'utkuozdemir-old-sample__linux-ubuntu20.04__geforce-rtx-2080-super__465.27',
};

/** The synthetic 2-GPU machine: GPU 0 from the first capture, GPU 1 from the second (same driver, same fields). */
const TWO_GPU = { name: '2gpu', parts: ['rtx-4080-super', 'rtx-2080-super-595'] as const };

/** The capture prefix a real machine is played from, or undefined (unknown, or the synthetic 2gpu). */
export function capturePrefix(name: string): string | undefined {
  return REAL_MACHINES[name];
}

/** Every name FAKE_NVIDIA_SMI_CAPTURE accepts. */
export function machineNames(): string[] {
  return [...Object.keys(REAL_MACHINES), TWO_GPU.name];
}

/** Loads a machine by short name from the captures in `fixturesDir`. */
export function loadMachine(name: string, fixturesDir: string = defaultFixturesDir): Machine {
  if (name === TWO_GPU.name) return twoGpuMachine(loadMachine(TWO_GPU.parts[0], fixturesDir), loadMachine(TWO_GPU.parts[1], fixturesDir));
  const prefix = REAL_MACHINES[name];
  if (prefix === undefined) throw new FakeConfigError(`FAKE_NVIDIA_SMI_CAPTURE=${name}: expected one of ${machineNames().join(', ')}`);
  const read = (what: string): string | undefined => {
    const file = join(fixturesDir, `${prefix}__${what}.txt`);
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  };
  const need = (...whats: string[]): string => {
    for (const what of whats) {
      const text = read(what);
      if (text !== undefined) return text;
    }
    throw new Error(`no ${whats.join(' / ')} capture for ${prefix} in ${fixturesDir}`);
  };
  const helpQueryGpuText = need('help-query-gpu');
  const idle = parseCaptureTable(need('idle_query-gpu-all-fields_csv', 'query-gpu-all-fields_csv'));
  const load = read('load_query-gpu-all-fields_csv');
  const versionText = read('version');
  return {
    name,
    synthetic: false,
    helpQueryGpuText,
    help: parseHelpQueryGpu(helpQueryGpuText),
    listText: need('list-L', 'list-gpus'),
    versionText,
    usageText: read('help-h'),
    idle,
    load: load === undefined ? idle : parseCaptureTable(load),
    nvmlVersion: versionText === undefined ? undefined : /^NVML version\s*: (\S+)$/m.exec(versionText)?.[1],
  };
}

/** The masked UUID the second GPU gets: the captures all mask theirs to GPU-00000000-..., which would collide. */
const SECOND_UUID = 'GPU-00000000-0000-0000-0000-000000000001';

function twoGpuMachine(first: Machine, second: Machine): Machine {
  if (first.helpQueryGpuText !== second.helpQueryGpuText) throw new Error('2gpu: the two captures come from different drivers');
  const merge = (a: CaptureTable, b: CaptureTable): CaptureTable => {
    if (a.header.join() !== b.header.join()) throw new Error('2gpu: the two captures have different columns');
    const set = (row: readonly string[], changes: Record<string, string>) =>
      row.map((cell, i) => changes[a.header[i]!.replace(/ \[[^\]]*\]$/, '')] ?? cell);
    return {
      header: a.header,
      rows: [set(a.rows[0]!, { count: '2', index: '0' }), set(b.rows[0]!, { count: '2', index: '1', uuid: SECOND_UUID })],
    };
  };
  const secondList = second.listText.replace(/^GPU 0:/, 'GPU 1:').replace(/\(UUID: [^)]*\)/, `(UUID: ${SECOND_UUID})`);
  return {
    ...first,
    name: TWO_GPU.name,
    synthetic: true,
    listText: first.listText + secondList,
    idle: merge(first.idle, second.idle),
    load: merge(first.load, second.load),
  };
}
