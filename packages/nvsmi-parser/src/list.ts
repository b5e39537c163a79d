import { splitLines } from './csv.js';
import { isNvidiaSmiMessage, lineError, type NvsmiError } from './errors.js';
import { createMessageClassifier } from './messages.js';

/** A MIG device listed under its GPU by `nvidia-smi -L`. */
export interface ListedMigDevice {
  /** The MIG device index within its GPU. */
  readonly index: number;
  /** The MIG profile, e.g. `1g.10gb`. */
  readonly profile: string;
  readonly uuid: string | undefined;
}

/** A GPU as `nvidia-smi -L` lists it. */
export interface ListedGpu {
  /** The nvidia-smi index (the `index` query field, the exporter's `gpu_id`). */
  readonly index: number;
  readonly name: string;
  readonly uuid: string | undefined;
  /** MIG devices carved out of this GPU; empty when MIG is off. */
  readonly migDevices: readonly ListedMigDevice[];
}

/** A parsed `nvidia-smi -L` answer. */
export interface GpuList {
  readonly gpus: readonly ListedGpu[];
  /** Lines that were neither GPUs nor MIG devices: nvidia-smi messages (a lost GPU) or unrecognised lines. */
  readonly errors: readonly NvsmiError[];
}

const GPU_LINE = /^GPU (\d+): (.+?)(?: \(UUID: ([^)]+)\))?$/;
const MIG_LINE = /^\s+MIG (\S+)\s+Device\s+(\d+): \(UUID: ([^)]+)\)$/;

/**
 * Parses `nvidia-smi -L` / `--list-gpus`: one `GPU <i>: <name> (UUID: <uuid>)` line per GPU, with indented
 * `MIG <profile> Device <j>: (UUID: <uuid>)` lines under a MIG-enabled one. Pure. A message among GPU lines (one
 * GPU lost) goes to `errors`; when no GPU is listed but nvidia-smi printed a message (`No devices were found`, no
 * driver), that typed error is thrown.
 */
export function parseGpuList(text: string): GpuList {
  const gpus: { index: number; name: string; uuid: string | undefined; migDevices: ListedMigDevice[] }[] = [];
  const errors: NvsmiError[] = [];
  const classify = createMessageClassifier();
  for (const { line, lineNumber } of splitLines(text)) {
    if (line.trim() === '') continue;
    const message = classify(line, lineNumber);
    if (message === 'continuation') continue;
    if (message) {
      errors.push(message);
      continue;
    }
    const gpu = GPU_LINE.exec(line);
    if (gpu) {
      gpus.push({ index: Number(gpu[1]), name: gpu[2]!, uuid: gpu[3], migDevices: [] });
      continue;
    }
    const mig = MIG_LINE.exec(line);
    const parent = gpus.at(-1);
    if (mig && parent) {
      parent.migDevices.push({ index: Number(mig[2]), profile: mig[1]!, uuid: mig[3] });
      continue;
    }
    errors.push(lineError(mig ? 'MIG device before any GPU' : 'not a GPU or MIG device line', line, lineNumber));
  }
  const message = errors.find(isNvidiaSmiMessage);
  if (gpus.length === 0 && message !== undefined) throw message;
  return { gpus, errors };
}
