import { performance } from 'node:perf_hooks';
import {
  createExporterApp,
  createExposition,
  createRegistry,
  createSampler,
  registerInfoMetric,
  registerProcessMetrics,
  silentLogger,
  type Exposition,
  type HealthReport,
  type Logger,
  type Sampler,
} from '@proj/metrics-core';
import type { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { createGpuCollector } from './collector.js';
import { createNvidiaSmiSource, type NvidiaSmiSource, type NvidiaSmiSourceOptions } from './source.js';

/** Everything the GPU exporter is made of, wired but not started. */
export interface GpuExporter {
  readonly registry: Registry;
  readonly source: NvidiaSmiSource;
  readonly sampler: Sampler;
  readonly exposition: Exposition;
  readonly app: Hono;
  health(): HealthReport;
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

/** The app: /metrics, /health and / over the exporter's parts. Built from its dependencies so tests need no socket. */
export function createApp(deps: { exposition: Exposition; health: () => HealthReport; sampler: Sampler; version: string }): Hono {
  return createExporterApp({
    title: 'GPU exporter',
    version: deps.version,
    description: 'NVIDIA power, temperature, utilisation, NVENC/NVDEC, memory and clocks from one supervised nvidia-smi.',
    exposition: deps.exposition,
    health: deps.health,
    samplerStatus: () => deps.sampler.status(),
  });
}

/** Wires registry, nvidia-smi source, collector, sampler, exposition and app. Nothing runs until start(). */
export function createGpuExporter(options: GpuExporterOptions): GpuExporter {
  const logger = options.logger ?? silentLogger;
  const now = () => performance.now();
  const registry = createRegistry();
  registerInfoMetric(registry, 'gpu_exporter', { version: options.version });
  registerProcessMetrics(registry);
  let onBatch: NvidiaSmiSourceOptions['onBatch'];
  const source = createNvidiaSmiSource({
    command: options.nvidiaSmi,
    intervalMs: options.intervalMs,
    registry,
    logger,
    onBatch: (batch) => onBatch?.(batch),
    ...options.source,
  });
  const collector = createGpuCollector({ registry, source, intervalMs: options.intervalMs, now, logger });
  onBatch = (batch) => collector.onBatch(batch);
  const exposition = createExposition(registry);
  const sampler = createSampler({
    intervalMs: options.intervalMs,
    registry,
    prefix: 'gpu_exporter',
    sample: () => collector.sample(),
    publish: () => exposition.render(),
    onError: (error) => logger.error('sample failed', { error: error instanceof Error ? error.message : String(error) }),
  });
  const health = () => collector.health();
  const app = createApp({ exposition, health, sampler, version: options.version });
  return {
    registry,
    source,
    sampler,
    exposition,
    app,
    health,
    async start(waitMs = 3000) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([source.start(), new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
      clearTimeout(timer);
      await sampler.start();
    },
    async close() {
      await sampler.stop();
      await source.stop();
    },
  };
}
