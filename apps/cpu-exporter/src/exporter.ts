import { createExporter, createExporterRegistry, type Exporter } from '@proj/metrics-core/http';
import type { Logger } from '@proj/metrics-core/metrics';
import type { SysfsIo } from '@proj/rapl-reader';
import { createRaplCollector } from './collector.js';

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

/**
 * The CPU exporter, wired but not started: its registry, the collectors in the order they are sampled (a collector
 * that consumes RAPL's energy intervals goes after it, given `rapl`), sampler, exposition and app.
 */
export function createCpuExporter(options: CpuExporterOptions): Exporter {
  const { logger } = options;
  const registry = createExporterRegistry({ prefix: 'cpu_exporter', version: options.version });
  const rapl = createRaplCollector({
    sysfsRoot: options.sysfsRoot,
    registry,
    ...(logger === undefined ? {} : { logger }),
    ...(options.io === undefined ? {} : { io: options.io }),
    ...(options.rediscoverEveryMs === undefined ? {} : { rediscoverEveryMs: options.rediscoverEveryMs }),
  });
  return createExporter({
    registry,
    prefix: 'cpu_exporter',
    title: 'CPU exporter',
    description: 'Intel/AMD RAPL power and energy from Linux powercap sysfs, sampled on a fixed cadence.',
    version: options.version,
    intervalMs: options.intervalMs,
    ...(logger === undefined ? {} : { logger }),
    collectors: [rapl],
  });
}
