import { createExporter, createExporterRegistry, type Exporter } from '@proj/metrics-core/http';
import type { Logger } from '@proj/metrics-core/metrics';
import { openProcfs, type ProcIo } from '@proj/proc-reader';
import type { SysfsIo } from '@proj/rapl-reader';
import { createAttributionCollector } from './attribution.js';
import { createRaplCollector } from './collector.js';
import { createTickCpuTimes } from './cpu-times.js';
import { createPowerSources, withSourcesOnLanding, type PowerSourcesOptions } from './sources.js';

/** Options for createCpuExporter. */
export interface CpuExporterOptions {
  readonly sysfsRoot: string;
  readonly intervalMs: number;
  readonly version: string;
  readonly logger?: Logger;
  /** Injected filesystem (tests). */
  readonly io?: SysfsIo;
  /** Injected procfs (tests): the estimate's (unless `sources.procIo`) and attribution's. */
  readonly procIo?: ProcIo;
  readonly rediscoverEveryMs?: number;
  /** CPU energy attribution (flags `--procfs-root`, `--attribute-*`, `--cgroup-root`); absent: off. */
  readonly attribution?: CpuAttributionOptions;
  /** hwmon, IPMI DCMI and the estimate (flags `--hwmon`, `--ipmi*`, `--estimate-*`); hwmon and the estimate by default. */
  readonly sources?: PowerSourcesOptions;
}

/** What the attribution collector attributes, from the command line. */
export interface CpuAttributionOptions {
  readonly procfsRoot: string;
  /** Comm filter for per-process series; null: none. */
  readonly processes: RegExp | null;
  readonly containers: boolean;
  readonly cgroupRoot: string;
  /** Cgroup path filter; null: none. */
  readonly cgroups: RegExp | null;
}

/** One line for the landing page saying what is attributed. */
export function describeAttribution(attribution: CpuAttributionOptions | undefined): string {
  if (attribution === undefined) return ' Energy attribution: off.';
  const parts = [
    attribution.processes === null ? null : `processes whose comm matches /${attribution.processes.source}/`,
    attribution.containers ? 'containers' : null,
    attribution.cgroups === null ? null : `cgroups under ${attribution.cgroupRoot} matching /${attribution.cgroups.source}/`,
  ].filter((part): part is string => part !== null);
  return ` Energy attribution: on (active/idle split${parts.length === 0 ? '' : `; ${parts.join(', ')}`}); counts on /health.`;
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
  const estimateProcfsRoot = options.sources?.procfsRoot ?? options.attribution?.procfsRoot ?? '/proc';
  const estimateProcIo = options.sources?.procIo ?? options.procIo;
  // The estimate and attribution both read /proc/stat on every tick, the estimate first: when they read the same
  // procfs, one reading per tick serves both (a failed read fails both on that tick, and the next tick reads again).
  const cpuTimes =
    options.attribution !== undefined && options.attribution.procfsRoot === estimateProcfsRoot && estimateProcIo === options.procIo
      ? createTickCpuTimes(openProcfs({ procfsRoot: estimateProcfsRoot, ...(options.procIo === undefined ? {} : { io: options.procIo }) }))
      : undefined;
  // After RAPL: hwmon, IPMI, the estimate, then the selector of the best CPU energy source, which attribution reads.
  const sources = createPowerSources({
    procfsRoot: estimateProcfsRoot,
    ...options.sources,
    ...(estimateProcIo === undefined ? {} : { procIo: estimateProcIo }),
    ...(cpuTimes === undefined ? {} : { cpuTimes }),
    registry,
    sysfsRoot: options.sysfsRoot,
    rapl,
    ...(logger === undefined ? {} : { logger }),
    ...(options.rediscoverEveryMs === undefined ? {} : { rediscoverEveryMs: options.rediscoverEveryMs }),
  });
  const attribution =
    options.attribution === undefined
      ? null
      : createAttributionCollector({
          registry,
          energy: sources.best,
          procfsRoot: options.attribution.procfsRoot,
          processes: options.attribution.processes,
          containers: options.attribution.containers,
          cgroupRoot: options.attribution.cgroupRoot,
          cgroups: options.attribution.cgroups,
          ...(options.procIo === undefined ? {} : { procIo: options.procIo }),
          ...(cpuTimes === undefined ? {} : { cpuTimes }),
          ...(logger === undefined ? {} : { logger }),
          ...(options.rediscoverEveryMs === undefined ? {} : { rediscoverEveryMs: options.rediscoverEveryMs }),
        });
  const exporter = createExporter({
    registry,
    prefix: 'cpu_exporter',
    title: 'CPU exporter',
    description: `Intel/AMD RAPL power and energy from Linux powercap sysfs, hwmon sensors, IPMI DCMI wall power and a labelled CPU power estimate, sampled on a fixed cadence.${describeAttribution(options.attribution)}`,
    version: options.version,
    intervalMs: options.intervalMs,
    ...(logger === undefined ? {} : { logger }),
    collectors: attribution === null ? [rapl, ...sources.collectors] : [rapl, ...sources.collectors, attribution],
  });
  return { ...exporter, app: withSourcesOnLanding(exporter.app, () => sources.describe()) };
}
