import { runExporterMain } from '@proj/metrics-core/cli';
import { createCpuExporter } from './exporter.js';
import { cpuExporterFlags } from './flags.js';

declare const __EXPORTER_VERSION__: string | undefined;
/** Set at build time from package.json. */
const VERSION = typeof __EXPORTER_VERSION__ === 'string' ? __EXPORTER_VERSION__ : '0.0.0-dev';

runExporterMain({
  info: {
    program: 'cpu_exporter',
    version: VERSION,
    description:
      'Serves Intel/AMD RAPL power (rapl_power_watts) and energy (rapl_energy_joules_total) from Linux powercap\nsysfs on /metrics. Reading energy_uj needs root.',
  },
  flags: cpuExporterFlags,
  create: (flags, logger) => createCpuExporter({ sysfsRoot: flags['sysfs-root'], intervalMs: flags.interval, version: VERSION, logger }),
});
