import { choiceParser, DEFAULT_ATTRIBUTE_PROCESSES, exporterFlags, parseDirectory, parseNonEmpty, parseOptionalRegex, type FlagSpecs } from '@proj/metrics-core/cli';

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
    description:
      "per-process GPU use and energy from nvidia-smi pmon: auto (where the driver supports it), on (and say on /health when it cannot), off; pmon's -d is --interval rounded up to whole seconds (1-10)",
    valueName: 'MODE',
    env: 'GPU_EXPORTER_PMON',
    default: 'auto' as 'auto' | 'on' | 'off',
    parse: choiceParser(['auto', 'on', 'off'] as const),
  },
  'attribute-processes': {
    description: "processes whose pmon command matches this regular expression get per-process GPU series, the others count as unattributed; '' attributes none",
    valueName: 'REGEX',
    env: 'GPU_EXPORTER_ATTRIBUTE_PROCESSES',
    default: DEFAULT_ATTRIBUTE_PROCESSES as RegExp | null,
    defaultText: DEFAULT_ATTRIBUTE_PROCESSES.source,
    parse: parseOptionalRegex,
  },
  'procfs-root': {
    description: "procfs to read a pmon pid's container from (/proc/<pid>/cgroup); pmon's pids are the host's",
    valueName: 'PATH',
    env: 'GPU_EXPORTER_PROCFS_ROOT',
    default: '/proc',
    parse: parseDirectory,
  },
} satisfies FlagSpecs;
