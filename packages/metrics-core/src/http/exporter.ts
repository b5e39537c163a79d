import type { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { combineHealth, sampleCollectors, type Collector, type HealthReport } from '../metrics/collector.js';
import { createExposition, type Exposition } from '../metrics/exposition.js';
import { silentLogger, type Logger } from '../metrics/log.js';
import { registerProcessMetrics } from '../metrics/process-metrics.js';
import { createRegistry, registerInfoMetric } from '../metrics/registry.js';
import { createSampler, type Sampler } from '../metrics/sampler.js';
import { createExporterApp, createFastPath } from './routes.js';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Options for createExporterRegistry. */
export interface ExporterRegistryOptions {
  /** Prefix of the exporter's own metrics and its `_info`, e.g. `cpu_exporter`. */
  readonly prefix: string;
  readonly version: string;
}

/**
 * A registry of the exporter's own, holding `<prefix>_info` and the process metrics: create it first, then the
 * collectors on it, then pass it to createExporter (the exposition lists metrics in that order).
 */
export function createExporterRegistry(options: ExporterRegistryOptions): Registry {
  const registry = createRegistry();
  registerInfoMetric(registry, options.prefix, { version: options.version });
  registerProcessMetrics(registry);
  return registry;
}

/** Options for createExporter. */
export interface ExporterOptions {
  /** From createExporterRegistry, with the collectors' metrics registered on it. */
  readonly registry: Registry;
  /** Prefix of the sampler's metrics, e.g. `cpu_exporter`. */
  readonly prefix: string;
  /** For the landing page, e.g. `CPU exporter`. */
  readonly title: string;
  readonly description: string;
  readonly version: string;
  readonly intervalMs: number;
  readonly logger?: Logger;
  /** The sources, sampled in this order each tick: a consumer comes after what it consumes. */
  readonly collectors: readonly Collector[];
}

/** An exporter wired but not started: `start()` (runExporter calls it) begins. */
export interface Exporter {
  readonly registry: Registry;
  readonly sampler: Sampler;
  readonly exposition: Exposition;
  /** `/metrics`, `/health`, `/`: call `app.request()` in tests, no socket needed. */
  readonly app: Hono;
  /** GET /metrics and GET /health straight from node:http, as the app answers them (startServer's `fastPath`). */
  readonly fastPath: (request: IncomingMessage, response: ServerResponse) => boolean;
  /** Every collector's report, combined. */
  health(): HealthReport;
  /**
   * Renders what the registry holds before any sample, then starts the collectors in order, then the sampler (whose
   * first tick is done when this resolves).
   */
  start(): Promise<void>;
  /** Stops the sampler, then closes the collectors, last first. */
  close(): Promise<void>;
}

/**
 * Wires what every exporter has around its collectors: a sampler that samples them in order on a fixed cadence and
 * renders the exposition once per sample, /health combining their reports, and the app.
 */
export function createExporter(options: ExporterOptions): Exporter {
  const logger = options.logger ?? silentLogger;
  const { registry, collectors } = options;
  const exposition = createExposition(registry);
  const sampler = createSampler({
    intervalMs: options.intervalMs,
    registry,
    prefix: options.prefix,
    sample: (tick) => sampleCollectors(collectors, tick),
    publish: () => exposition.render(),
    onError: (error) => logger.error('sample failed', { error: error instanceof Error ? error.message : String(error) }),
  });
  const health = (): HealthReport => combineHealth(collectors.map((collector) => collector.health()));
  const appOptions = {
    title: options.title,
    version: options.version,
    description: options.description,
    exposition,
    health,
    samplerStatus: () => sampler.status(),
  };
  const app = createExporterApp(appOptions);
  return {
    registry,
    sampler,
    exposition,
    app,
    fastPath: createFastPath(appOptions),
    health,
    async start() {
      // Until the first sample, /metrics serves what there is already (_info, process metrics, the sampler's zeros).
      await exposition.render();
      for (const collector of collectors) await collector.start?.();
      await sampler.start();
    },
    async close() {
      await sampler.stop();
      for (const collector of [...collectors].reverse()) await collector.close?.();
    },
  };
}
