import { performance } from 'node:perf_hooks';
import { createExporter, createExporterRegistry, type Exporter } from '@proj/metrics-core/http';
import type { Logger } from '@proj/metrics-core/metrics';
import { DEFAULT_ATTRIBUTE_PROCESSES } from '@proj/metrics-core/cli';
import { openProcfs } from '@proj/proc-reader';
import { createGpuCollector, type GpuCollector } from './collector.js';
import { createPmonCollector, type PmonCollector, type PmonMode } from './pmon-collector.js';
import { createPmonSource, type PmonSource, type PmonSourceOptions } from './pmon-source.js';
import { createNvidiaSmiSource, type NvidiaSmiSource, type NvidiaSmiSourceOptions } from './source.js';

/** The GPU exporter, wired but not started. */
export interface GpuExporter extends Exporter {
  readonly source: NvidiaSmiSource;
  readonly gpu: GpuCollector;
  /** The pmon source and the per-process collector after `gpu`; absent with `pmon: 'off'`. */
  readonly pmonSource: PmonSource | undefined;
  readonly pmon: PmonCollector | undefined;
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
  /** `--pmon`. Default `auto`. */
  readonly pmon?: PmonMode;
  /** `--attribute-processes`; null attributes no process. Default DEFAULT_ATTRIBUTE_PROCESSES. */
  readonly attributeProcesses?: RegExp | null;
  /** `--procfs-root`. Default `/proc`. */
  readonly procfsRoot?: string;
  /** Overrides for the pmon source (timeouts, backoff), for tests. */
  readonly pmonSource?: Partial<Omit<PmonSourceOptions, 'command' | 'intervalMs' | 'logger'>>;
}

/**
 * Wires the nvidia-smi source (process and state, no Prometheus), the GPU collector that pulls from it each tick,
 * then (unless `pmon: 'off'`) the pmon source and the per-process collector that splits `gpu`'s energy, placed after
 * it; sampler, exposition and app. Nothing runs until start().
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
  const pmonMode = options.pmon ?? 'auto';
  const pmonSource =
    pmonMode === 'off'
      ? undefined
      : createPmonSource({ command: options.nvidiaSmi, intervalMs: options.intervalMs, ...(logger === undefined ? {} : { logger }), ...options.pmonSource });
  const pmon =
    pmonSource === undefined || pmonMode === 'off'
      ? undefined
      : createPmonCollector({
          registry,
          source: pmonSource,
          gpus: source,
          energy: gpu,
          match: options.attributeProcesses === undefined ? DEFAULT_ATTRIBUTE_PROCESSES : options.attributeProcesses,
          mode: pmonMode,
          procfs: openProcfs({ procfsRoot: options.procfsRoot ?? '/proc' }),
          intervalMs: options.intervalMs,
          now: () => performance.now(),
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
    collectors: pmon === undefined ? [gpu] : [gpu, pmon],
  });
  return { ...exporter, source, gpu, pmonSource, pmon };
}
