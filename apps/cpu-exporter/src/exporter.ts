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
import type { SysfsIo } from '@proj/rapl-reader';
import type { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { createRaplCollector } from './collector.js';

/** Everything the CPU exporter is made of, wired but not started. */
export interface CpuExporter {
  readonly registry: Registry;
  readonly sampler: Sampler;
  readonly exposition: Exposition;
  readonly app: Hono;
  health(): HealthReport;
}

/** Options for createCpuExporter. */
export interface CpuExporterOptions {
  readonly sysfsRoot: string;
  readonly intervalMs: number;
  readonly version: string;
  readonly logger?: Logger;
  /** Injected filesystem (tests). */
  readonly io?: SysfsIo;
  readonly rediscoverEveryMs?: number;
}

/** The app: /metrics, /health and / over the exporter's parts. Built from its dependencies so tests need no socket. */
export function createApp(deps: { exposition: Exposition; health: () => HealthReport; sampler: Sampler; version: string }): Hono {
  return createExporterApp({
    title: 'CPU exporter',
    version: deps.version,
    description: 'Intel/AMD RAPL power and energy from Linux powercap sysfs, sampled on a fixed cadence.',
    exposition: deps.exposition,
    health: deps.health,
    samplerStatus: () => deps.sampler.status(),
  });
}

/** Wires registry, RAPL collector, sampler, exposition and app. Nothing runs until the sampler starts. */
export function createCpuExporter(options: CpuExporterOptions): CpuExporter {
  const logger = options.logger ?? silentLogger;
  const registry = createRegistry();
  registerInfoMetric(registry, 'cpu_exporter', { version: options.version });
  registerProcessMetrics(registry);
  const collector = createRaplCollector({
    sysfsRoot: options.sysfsRoot,
    registry,
    logger,
    ...(options.io === undefined ? {} : { io: options.io }),
    ...(options.rediscoverEveryMs === undefined ? {} : { rediscoverEveryMs: options.rediscoverEveryMs }),
  });
  const exposition = createExposition(registry);
  const sampler = createSampler({
    intervalMs: options.intervalMs,
    registry,
    prefix: 'cpu_exporter',
    sample: () => collector.sample(),
    publish: () => exposition.render(),
    onError: (error) => logger.error('sample failed', { error: error instanceof Error ? error.message : String(error) }),
  });
  const health = () => collector.health();
  const app = createApp({ exposition, health, sampler, version: options.version });
  return { registry, sampler, exposition, app, health };
}

