import { createExporter, type Exporter, type Logger } from '@proj/metrics-core';
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

/** The CPU exporter, wired but not started: registry, RAPL collector, sampler, exposition and app. */
export function createCpuExporter(options: CpuExporterOptions): Exporter {
  return createExporter({
    prefix: 'cpu_exporter',
    title: 'CPU exporter',
    description: 'Intel/AMD RAPL power and energy from Linux powercap sysfs, sampled on a fixed cadence.',
    version: options.version,
    intervalMs: options.intervalMs,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    collector: (registry) =>
      createRaplCollector({
        sysfsRoot: options.sysfsRoot,
        registry,
        ...(options.logger === undefined ? {} : { logger: options.logger }),
        ...(options.io === undefined ? {} : { io: options.io }),
        ...(options.rediscoverEveryMs === undefined ? {} : { rediscoverEveryMs: options.rediscoverEveryMs }),
      }),
  });
}
