import { choiceParser, exporterFlags, FlagValueError, parseNonEmpty, type FlagSpecs } from '@proj/metrics-core/cli';

/** The commands whose processes get energy series by default: ffmpeg and its kin (the lab's streams). */
export const DEFAULT_ATTRIBUTE_PROCESSES = '^(ffmpeg|ffprobe|gst-launch-1\\.0)$';

/** A JavaScript regular expression, matched against a process's command name; kept as text, compiled by the exporter. */
export function parseProcessPattern(raw: string): string {
  parseNonEmpty(raw);
  try {
    new RegExp(raw);
  } catch (error) {
    throw new FlagValueError(`${JSON.stringify(raw)} is not a regular expression (${error instanceof Error ? error.message : String(error)})`);
  }
  return raw;
}

/** The GPU exporter's command line (docs/ARCHITECTURE.md, "Command line"). */
export const gpuExporterFlags = {
  ...exporterFlags({ envPrefix: 'GPU_EXPORTER', port: 9511, intervalDescription: 'sampling interval, also the nvidia-smi -lms interval' }),
  'nvidia-smi': {
    description: 'nvidia-smi to run: a path, or a name looked up on PATH',
    valueName: 'PATH',
    env: 'GPU_EXPORTER_NVIDIA_SMI',
    default: 'nvidia-smi',
    parse: parseNonEmpty,
  },
  pmon: {
    description: 'per-process GPU use and energy from nvidia-smi pmon: auto (where the driver supports it), on (and say on /health when it cannot), off',
    valueName: 'MODE',
    env: 'GPU_EXPORTER_PMON',
    default: 'auto' as 'auto' | 'on' | 'off',
    parse: choiceParser(['auto', 'on', 'off'] as const),
  },
  'attribute-processes': {
    description: 'regular expression on the command name: matching processes get per-process GPU series, the others count as unattributed',
    valueName: 'REGEX',
    env: 'GPU_EXPORTER_ATTRIBUTE_PROCESSES',
    default: DEFAULT_ATTRIBUTE_PROCESSES,
    parse: parseProcessPattern,
  },
  'procfs-root': {
    description: "procfs to read a pmon pid's container from (/proc/<pid>/cgroup); pmon's pids are the host's",
    valueName: 'PATH',
    env: 'GPU_EXPORTER_PROCFS_ROOT',
    default: '/proc',
    parse: parseNonEmpty,
  },
} satisfies FlagSpecs;
