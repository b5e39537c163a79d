import { createLogger, ListenError, runCommandLine, runExporter, runHealthcheck } from '@proj/metrics-core';
import { createCpuExporter } from './exporter.js';
import { cpuExporterFlags } from './flags.js';

declare const __EXPORTER_VERSION__: string | undefined;
/** Set at build time from package.json. */
const VERSION = typeof __EXPORTER_VERSION__ === 'string' ? __EXPORTER_VERSION__ : '0.0.0-dev';

async function main(): Promise<void> {
  const { values: flags, healthcheck } = runCommandLine(
    {
      program: 'cpu_exporter',
      version: VERSION,
      description: 'Serves Intel/AMD RAPL power (rapl_power_watts) and energy (rapl_energy_joules_total) from Linux powercap\nsysfs on /metrics. Reading energy_uj needs root.',
    },
    cpuExporterFlags,
  );
  if (healthcheck) process.exit(await runHealthcheck({ host: flags.host, port: flags.port }));
  const logger = createLogger({ level: flags['log-level'] });
  logger.info('starting cpu_exporter', { version: VERSION, sysfs_root: flags['sysfs-root'], interval_ms: flags.interval });
  const exporter = createCpuExporter({ sysfsRoot: flags['sysfs-root'], intervalMs: flags.interval, version: VERSION, logger });
  try {
    await runExporter({ app: exporter.app, sampler: exporter.sampler }, { host: flags.host, port: flags.port, logger });
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    logger.error(error.message);
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`cpu_exporter: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
