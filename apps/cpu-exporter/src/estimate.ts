import { performance } from 'node:perf_hooks';
import { silentLogger, type Collector, type HealthReport, type Logger, type SamplerTick } from '@proj/metrics-core/metrics';
import { createEstimateModel, type EstimateModel, type EstimateModelName } from '@proj/power-estimate';
import { openProcfs, type CpuTimes, type ProcError, type ProcIo } from '@proj/proc-reader';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EnergySource, TickEnergy } from './collector.js';
import type { TickCpuTimes } from './cpu-times.js';

/** Options for createEstimateCollector. */
export interface EstimateCollectorOptions {
  readonly registry: Registry;
  /** Where procfs is mounted (`/proc`). */
  readonly procfsRoot: string;
  readonly model: EstimateModelName;
  /** The CPU's TDP, all sockets together; needed by `teads_curve`. */
  readonly tdpWatts?: number;
  /** vCPUs for `ccf_linear`; by default the `cpuN` lines of /proc/stat. */
  readonly vcpus?: number;
  readonly io?: ProcIo;
  /**
   * The tick's `/proc/stat` reading, shared with attribution (exporter.ts): a sample given a tick takes it from here;
   * absent, or for a sample without a tick, the collector reads the file itself.
   */
  readonly cpuTimes?: TickCpuTimes;
  /** Monotonic clock, milliseconds. */
  readonly now?: () => number;
  readonly logger?: Logger;
}

/** The estimate: power from how busy /proc/stat says the CPUs were over the last interval. */
export interface EstimateCollector extends Collector, EnergySource {
  sample(tick?: SamplerTick): void;
  health(): HealthReport;
  /** True once two readings of /proc/stat gave an estimate, and the last one worked. */
  live(): boolean;
  /** The model in use; undefined until /proc/stat was first read (the vCPU count comes from it). */
  model(): EstimateModel | undefined;
}

/** The busy ratio between two /proc/stat readings, or null when no tick passed (nothing to divide by). Pure. */
export function busyRatioBetween(previous: CpuTimes, current: CpuTimes): number | null {
  const total = current.totalTicks - previous.totalTicks;
  if (!(total > 0)) return null;
  return (current.busyTicks - previous.busyTicks) / total;
}

/**
 * Creates the estimate collector: each tick reads /proc/stat once (or takes the tick's reading shared with
 * attribution), turns the busy ratio since the previous tick into watts with the model, and integrates them into
 * energy. `cpu_power_estimate_watts{model}` and `cpu_energy_estimate_joules_total{model}`; `lastIntervals()` hands the
 * energy on as `source: 'estimate', zone: 'cpu'`.
 */
export function createEstimateCollector(options: EstimateCollectorOptions): EstimateCollector {
  const { registry, procfsRoot } = options;
  const procfs = openProcfs({ procfsRoot, ...(options.io === undefined ? {} : { io: options.io }) });
  const now = options.now ?? (() => performance.now());
  const logger = options.logger ?? silentLogger;
  const registers = [registry];

  const power = new Gauge({
    name: 'cpu_power_estimate_watts',
    help: 'Estimated CPU power over the last sampler interval: a model of the /proc/stat busy ratio (model label), not a measurement.',
    labelNames: ['model'],
    registers,
  });
  const energy = new Counter({
    name: 'cpu_energy_estimate_joules_total',
    help: 'Estimated CPU energy since the exporter started: cpu_power_estimate_watts integrated over each interval; a model, not a measurement.',
    labelNames: ['model'],
    registers,
  });
  const readErrors = new Counter({
    name: 'cpu_exporter_estimate_read_errors_total',
    help: 'Reads of /proc/stat for the estimate that failed, by reason.',
    labelNames: ['reason'],
    registers,
  });

  let model: EstimateModel | undefined;
  let previous: { times: CpuTimes; atMs: number } | undefined;
  let lastError: ProcError | Error | undefined;
  let lastBusyRatio: number | undefined;
  let lastEnergy: TickEnergy = { tickIndex: -1, intervals: [] };
  let samples = 0;

  const build = (times: CpuTimes | undefined): EstimateModel => {
    const vcpus = options.vcpus ?? times?.cpuCount ?? 1;
    const built =
      options.model === 'ccf_linear'
        ? createEstimateModel({ model: 'ccf_linear', vcpus })
        : createEstimateModel({ model: 'teads_curve', tdpWatts: options.tdpWatts ?? Number.NaN });
    logger.info('CPU power estimate', { model: built.model, description: built.description });
    energy.inc({ model: built.model }, 0);
    return built;
  };
  // Built at once when nothing waits on /proc/stat, so a bad TDP or vCPU count fails at start, not at the first tick.
  if (options.model === 'teads_curve' || options.vcpus !== undefined) model = build(undefined);

  return {
    sample(tick) {
      const tickIndex = tick?.index ?? samples;
      samples++;
      let times: CpuTimes;
      const atMs = now();
      try {
        times = tick !== undefined && options.cpuTimes !== undefined ? options.cpuTimes(tick.index) : procfs.readCpuTimes();
      } catch (error) {
        const reason = (error as ProcError).reason ?? 'other';
        readErrors.inc({ reason });
        if (lastError?.message !== (error as Error).message) logger.warn('cannot read /proc/stat for the estimate', { error: (error as Error).message });
        lastError = error as Error;
        previous = undefined;
        if (model) power.remove({ model: model.model });
        lastEnergy = { tickIndex, intervals: [] };
        return;
      }
      lastError = undefined;
      model ??= build(times);
      const before = previous;
      previous = { times, atMs };
      const ratio = before === undefined ? null : busyRatioBetween(before.times, times);
      const intervalMs = before === undefined ? 0 : atMs - before.atMs;
      if (ratio === null || !(intervalMs > 0)) {
        lastEnergy = { tickIndex, intervals: [] };
        return;
      }
      lastBusyRatio = ratio;
      const watts = model.powerWatts(ratio);
      const deltaJoules = (watts * intervalMs) / 1000;
      power.set({ model: model.model }, watts);
      energy.inc({ model: model.model }, deltaJoules);
      lastEnergy = { tickIndex, intervals: [{ source: 'estimate', id: `estimate:${model.model}`, zone: 'cpu', deltaJoules, intervalMs }] };
    },

    lastIntervals: () => lastEnergy,
    live: () => lastError === undefined && lastBusyRatio !== undefined,
    model: () => model,

    health() {
      const reasons = lastError === undefined ? [] : [`cannot read ${procfsRoot}/stat for the CPU power estimate: ${lastError.message}`];
      return {
        status: reasons.length === 0 ? 'ok' : 'degraded',
        reasons,
        details: {
          estimate: {
            model: model?.model ?? options.model,
            ...(model === undefined ? {} : { description: model.description }),
            ...(lastBusyRatio === undefined ? {} : { busy_ratio: Number(lastBusyRatio.toFixed(4)) }),
          },
        },
      };
    },
  };
}
