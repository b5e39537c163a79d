import { exporterFlags, parseNonEmpty, type FlagSpecs } from '@proj/metrics-core/cli';

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
} satisfies FlagSpecs;
