import { performance } from 'node:perf_hooks';
import { createExporter, type Exporter, type Logger } from '@proj/metrics-core';
import { createGpuCollector } from './collector.js';
import { createNvidiaSmiSource, type NvidiaSmiSource, type NvidiaSmiSourceOptions } from './source.js';

/** The GPU exporter, wired but not started. */
export interface GpuExporter extends Exporter {
  readonly source: NvidiaSmiSource;
  /**
   * Starts nvidia-smi, waits up to `waitMs` for its first answer (so the first sample has data, but a hung
   * nvidia-smi never holds the exporter back), then starts sampling.
   */
  start(waitMs?: number): Promise<void>;
  /** Stops sampling and kills nvidia-smi. */
  close(): Promise<void>;
}

/** Options for createGpuExporter. */
export interface GpuExporterOptions {
  /** Path or name of nvidia-smi. */
  readonly nvidiaSmi: string;
  readonly intervalMs: number;
  readonly version: string;
  readonly logger?: Logger;
  /** Overrides for the nvidia-smi source (timeouts, backoff), for tests. */
  readonly source?: Partial<Omit<NvidiaSmiSourceOptions, 'command' | 'intervalMs' | 'registry' | 'logger' | 'onBatch'>>;
}

/** Wires registry, nvidia-smi source, collector, sampler, exposition and app. Nothing runs until start(). */
export function createGpuExporter(options: GpuExporterOptions): GpuExporter {
  let source: NvidiaSmiSource | undefined;
  const exporter = createExporter({
    prefix: 'gpu_exporter',
    title: 'GPU exporter',
    description: 'NVIDIA power, temperature, utilisation, NVENC/NVDEC, memory and clocks from one supervised nvidia-smi.',
    version: options.version,
    intervalMs: options.intervalMs,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    collector: (registry) => {
      let collector: ReturnType<typeof createGpuCollector> | undefined;
      source = createNvidiaSmiSource({
        command: options.nvidiaSmi,
        intervalMs: options.intervalMs,
        registry,
        ...(options.logger === undefined ? {} : { logger: options.logger }),
        onBatch: (batch) => collector?.onBatch(batch),
        ...options.source,
      });
      collector = createGpuCollector({
        registry,
        source,
        intervalMs: options.intervalMs,
        now: () => performance.now(),
        ...(options.logger === undefined ? {} : { logger: options.logger }),
      });
      return collector;
    },
  });
  const nvidiaSmi = source!;
  return {
    ...exporter,
    source: nvidiaSmi,
    async start(waitMs = 3000) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([nvidiaSmi.start(), new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
      await exporter.sampler.start();
    },
    async close() {
      await exporter.sampler.stop();
      await nvidiaSmi.stop();
    },
  };
}
