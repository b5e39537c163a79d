import { performance } from 'node:perf_hooks';
import { createExporter, createExporterRegistry, type Exporter } from '@proj/metrics-core/http';
import type { Logger } from '@proj/metrics-core/metrics';
import { createGpuCollector, type GpuCollector } from './collector.js';
import { createNvidiaSmiSource, type NvidiaSmiSource, type NvidiaSmiSourceOptions } from './source.js';

/** The GPU exporter, wired but not started. */
export interface GpuExporter extends Exporter {
  readonly source: NvidiaSmiSource;
  readonly gpu: GpuCollector;
}

/** Options for createGpuExporter. */
export interface GpuExporterOptions {
  /** Path or name of nvidia-smi. */
  readonly nvidiaSmi: string;
  readonly intervalMs: number;
  readonly version: string;
  readonly logger?: Logger;
  /** Overrides for the nvidia-smi source (timeouts, backoff), for tests. */
  readonly source?: Partial<Omit<NvidiaSmiSourceOptions, 'command' | 'intervalMs' | 'logger'>>;
  /** How long start() waits for nvidia-smi's first answer before sampling. Default 3 s. */
  readonly startWaitMs?: number;
}

/**
 * Wires the nvidia-smi source (process and state, no Prometheus), the GPU collector that pulls from it each tick
 * (a per-process GPU collector would go after it, given `gpu`), sampler, exposition and app. Nothing runs until start().
 */
export function createGpuExporter(options: GpuExporterOptions): GpuExporter {
  const { logger } = options;
  const source = createNvidiaSmiSource({ command: options.nvidiaSmi, intervalMs: options.intervalMs, ...(logger === undefined ? {} : { logger }), ...options.source });
  const registry = createExporterRegistry({ prefix: 'gpu_exporter', version: options.version });
  const gpu = createGpuCollector({
    registry,
    source,
    intervalMs: options.intervalMs,
    now: () => performance.now(),
    ...(options.startWaitMs === undefined ? {} : { startWaitMs: options.startWaitMs }),
    ...(logger === undefined ? {} : { logger }),
  });
  const exporter = createExporter({
    registry,
    prefix: 'gpu_exporter',
    title: 'GPU exporter',
    description: 'NVIDIA power, temperature, utilisation, NVENC/NVDEC, memory and clocks from one supervised nvidia-smi.',
    version: options.version,
    intervalMs: options.intervalMs,
    ...(logger === undefined ? {} : { logger }),
    collectors: [gpu],
  });
  return { ...exporter, source, gpu };
}
