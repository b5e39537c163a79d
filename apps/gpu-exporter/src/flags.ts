import { choiceParser, durationParser, LOG_LEVELS, parseNonEmpty, parsePort, type FlagSpec } from '@proj/metrics-core';

/** The GPU exporter's command line (DESIGN.md, "Command line"). */
export const gpuExporterFlags = {
  port: { description: 'port to listen on (0 picks a free one)', valueName: 'PORT', env: 'GPU_EXPORTER_PORT', default: 9511, parse: parsePort },
  host: { description: 'address to listen on', valueName: 'HOST', env: 'GPU_EXPORTER_HOST', default: '0.0.0.0', parse: parseNonEmpty },
  interval: {
    description: 'sampling interval, also the nvidia-smi -lms interval',
    valueName: 'DURATION',
    env: 'GPU_EXPORTER_INTERVAL',
    default: 1000,
    defaultText: '1s',
    parse: durationParser(100, 30_000),
  },
  'nvidia-smi': {
    description: 'nvidia-smi to run: a path, or a name looked up on PATH',
    valueName: 'PATH',
    env: 'GPU_EXPORTER_NVIDIA_SMI',
    default: 'nvidia-smi',
    parse: parseNonEmpty,
  },
  'log-level': { description: 'least severe log level written', valueName: 'LEVEL', env: 'GPU_EXPORTER_LOG_LEVEL', default: 'info', parse: choiceParser(LOG_LEVELS) },
} satisfies Record<string, FlagSpec<unknown>>;
