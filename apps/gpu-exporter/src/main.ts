import { createLogger, ListenError, runCommandLine, runExporter, runHealthcheck } from '@proj/metrics-core';
import { createGpuExporter } from './exporter.js';
import { gpuExporterFlags } from './flags.js';

declare const __EXPORTER_VERSION__: string | undefined;
/** Set at build time from package.json. */
const VERSION = typeof __EXPORTER_VERSION__ === 'string' ? __EXPORTER_VERSION__ : '0.0.0-dev';

async function main(): Promise<void> {
  const { values: flags, healthcheck } = runCommandLine(
    {
      program: 'gpu_exporter',
      version: VERSION,
      description:
        'Serves NVIDIA GPU power, temperature, utilisation, NVENC/NVDEC utilisation, memory and clocks on /metrics, from\none long-lived nvidia-smi. Without nvidia-smi or GPUs it keeps serving gpu_count 0.',
    },
    gpuExporterFlags,
  );
  if (healthcheck) process.exit(await runHealthcheck({ host: flags.host, port: flags.port }));
  const logger = createLogger({ level: flags['log-level'] });
  logger.info('starting gpu_exporter', { version: VERSION, nvidia_smi: flags['nvidia-smi'], interval_ms: flags.interval });
  const exporter = createGpuExporter({ nvidiaSmi: flags['nvidia-smi'], intervalMs: flags.interval, version: VERSION, logger });
  try {
    // exporter.start() gives nvidia-smi a head start, so that the first sample has data when it can.
    await runExporter(
      { app: exporter.app, sampler: exporter.sampler, start: () => exporter.start(), close: () => exporter.close() },
      { host: flags.host, port: flags.port, logger },
    );
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    logger.error(error.message);
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`gpu_exporter: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
