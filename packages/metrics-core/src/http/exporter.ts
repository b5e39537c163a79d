import type { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { createExposition, type Exposition } from './exposition.js';
import { createExporterApp, type HealthReport } from './http.js';
import { silentLogger, type Logger } from './log.js';
import { registerProcessMetrics } from './process-metrics.js';
import { createRegistry, registerInfoMetric } from './registry.js';
import { createSampler, type Sampler } from './sampler.js';

/** An exporter's own part: what it reads, once per tick, and what it says on /health. */
export interface Collector {
  /** Reads the source once and updates the metrics. Never called from a request. */
  sample(): void | Promise<void>;
  health(): HealthReport;
}

/** Options for createExporter. */
export interface ExporterOptions {
  /** Prefix of the exporter's own metrics and its `_info`, e.g. `cpu_exporter`. */
  readonly prefix: string;
  /** For the landing page, e.g. `CPU exporter`. */
  readonly title: string;
  readonly description: string;
  readonly version: string;
  readonly intervalMs: number;
  readonly logger?: Logger;
  /** Creates the collector, registering its metrics on the exporter's registry. */
  readonly collector: (registry: Registry) => Collector;
}

/** An exporter wired but not started: start its sampler (runExporter does) to begin. */
export interface Exporter {
  readonly registry: Registry;
  readonly sampler: Sampler;
  readonly exposition: Exposition;
  /** `/metrics`, `/health`, `/`: call `app.request()` in tests, no socket needed. */
  readonly app: Hono;
  health(): HealthReport;
}

/**
 * Wires what every exporter has: a registry of its own with `<prefix>_info` and the process metrics, the collector,
 * a sampler that runs the collector on a fixed cadence and renders the exposition once per sample, and the app.
 */
export function createExporter(options: ExporterOptions): Exporter {
  const logger = options.logger ?? silentLogger;
  const registry = createRegistry();
  registerInfoMetric(registry, options.prefix, { version: options.version });
  registerProcessMetrics(registry);
  const collector = options.collector(registry);
  const exposition = createExposition(registry);
  const sampler = createSampler({
    intervalMs: options.intervalMs,
    registry,
    prefix: options.prefix,
    sample: () => collector.sample(),
    publish: () => exposition.render(),
    onError: (error) => logger.error('sample failed', { error: error instanceof Error ? error.message : String(error) }),
  });
  const health = () => collector.health();
  const app = createExporterApp({
    title: options.title,
    version: options.version,
    description: options.description,
    exposition,
    health,
    samplerStatus: () => sampler.status(),
  });
  return { registry, sampler, exposition, app, health };
}
