import { runExporterMain } from '@proj/metrics-core/cli';
import { createGpuExporter } from './exporter.js';
import { gpuExporterFlags } from './flags.js';

declare const __EXPORTER_VERSION__: string | undefined;
/** Set at build time from package.json. */
const VERSION = typeof __EXPORTER_VERSION__ === 'string' ? __EXPORTER_VERSION__ : '0.0.0-dev';

runExporterMain({
  info: {
    program: 'gpu_exporter',
    version: VERSION,
    description:
      'Serves NVIDIA GPU power, temperature, utilisation, NVENC/NVDEC utilisation, memory and clocks on /metrics, from\none long-lived nvidia-smi, and per-process GPU use and energy from nvidia-smi pmon where the driver supports it.\nWithout nvidia-smi or GPUs it keeps serving gpu_devices 0.',
  },
  flags: gpuExporterFlags,
  create: (flags, logger) =>
    createGpuExporter({
      nvidiaSmi: flags['nvidia-smi'],
      intervalMs: flags.interval,
      version: VERSION,
      logger,
      pmon: flags.pmon,
      attributeProcesses: flags['attribute-processes'],
      procfsRoot: flags['procfs-root'],
    }),
});
