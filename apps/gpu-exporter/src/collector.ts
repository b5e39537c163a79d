import { silentLogger, type Collector, type HealthReport, type Logger, type SamplerTick } from '@proj/metrics-core/metrics';
import { numberOf, textOf, type QueryRow } from '@proj/nvsmi-parser';
import { Counter, Gauge, type Registry } from 'prom-client';
import { createCountMirror } from './counts.js';
import { GPU_METRICS } from './fields.js';
import type { NvidiaSmiSource, SourceStatus } from './source.js';

const LABELS = ['gpu_id', 'gpu_name', 'gpu_uuid'] as const;
type GpuLabels = Record<(typeof LABELS)[number], string>;

function labelsOf(row: QueryRow): GpuLabels {
  return { gpu_id: textOf(row.get('index')) ?? '', gpu_name: textOf(row.get('name')) ?? '', gpu_uuid: textOf(row.get('uuid')) ?? '' };
}

/** The board energy one GPU used over one tick: what a per-process GPU collector splits. */
export interface GpuEnergyInterval {
  readonly gpuId: string;
  readonly gpuUuid: string;
  /** Energy integrated over the batches that arrived this tick. */
  readonly deltaJoules: number;
  /** Monotonic time those batches covered. */
  readonly intervalMs: number;
}

/** The GPU energy of one tick. */
export interface TickGpuEnergy {
  /** The sampler tick it was computed in. */
  readonly tickIndex: number;
  readonly gpus: readonly GpuEnergyInterval[];
}

/** Options for createGpuCollector. */
export interface GpuCollectorOptions {
  readonly registry: Registry;
  readonly source: Pick<NvidiaSmiSource, 'takeBatches' | 'latest' | 'status'> & Partial<Pick<NvidiaSmiSource, 'start' | 'stop'>>;
  readonly intervalMs: number;
  /** A batch older than this is not served: the series go away rather than freeze. Default max(3 intervals, 5 s). */
  readonly staleAfterMs?: number;
  /** Power is not integrated across a gap between batches longer than this. Default max(5 intervals, 10 s). */
  readonly maxEnergyGapMs?: number;
  /** start() waits this long at most for nvidia-smi's first answer before sampling begins. Default 3 s. */
  readonly startWaitMs?: number;
  readonly now: () => number;
  readonly logger?: Logger;
}

/** Turns what the nvidia-smi source gathered into the gpu_* metrics, once per tick, and hands its energy on. */
export interface GpuCollector extends Collector {
  sample(tick?: SamplerTick): void;
  health(): HealthReport;
  /** Each GPU's energy of the latest sample. */
  lastEnergy(): TickGpuEnergy;
}

/**
 * Creates the GPU collector. Each tick it takes the batches that arrived since the last (integrating power.draw over
 * their arrival times, trapezoids, into `gpu_energy_joules_total`), sets one gauge per metric of the contract from
 * the latest (labelled gpu_id, gpu_name, gpu_uuid; an absent value such as `[N/A]` leaves its series out, never 0),
 * and brings the source's counts to its counters. `gpu_exporter_nvidia_smi_up`, `gpu_devices` and /health are all
 * decided here, in one place, from the same freshness test.
 */
export function createGpuCollector(options: GpuCollectorOptions): GpuCollector {
  const { registry, source, intervalMs, now } = options;
  const logger = options.logger ?? silentLogger;
  const staleAfterMs = options.staleAfterMs ?? Math.max(3 * intervalMs, 5000);
  const maxEnergyGapMs = options.maxEnergyGapMs ?? Math.max(5 * intervalMs, 10_000);
  const startWaitMs = options.startWaitMs ?? 3000;
  const registers = [registry];

  const restarts = new Counter({ name: 'gpu_exporter_nvidia_smi_restarts_total', help: 'Times the nvidia-smi loop child was started again.', registers });
  const exits = new Counter({
    name: 'gpu_exporter_nvidia_smi_exits_total',
    help: 'nvidia-smi loop children that ended, by exit code (or signal, or spawn error).',
    labelNames: ['code'],
    registers,
  });
  const stalls = new Counter({
    name: 'gpu_exporter_nvidia_smi_stalls_total',
    help: 'nvidia-smi loop children killed (whole process group) because no complete batch came in time.',
    registers,
  });
  const readErrors = new Counter({
    name: 'gpu_exporter_read_errors_total',
    help: 'nvidia-smi output that was not data, by reason (column_count, incomplete_batch, gpu_lost, invalid_field, spawn, timeout, ...).',
    labelNames: ['reason'],
    registers,
  });
  restarts.inc(0);
  stalls.inc(0);
  for (const reason of ['column_count', 'incomplete_batch', 'gpu_lost', 'spawn', 'timeout']) readErrors.inc({ reason }, 0);
  const gauges = GPU_METRICS.map((spec) => ({
    spec,
    gauge: new Gauge({ name: spec.metric, help: spec.help, labelNames: LABELS, registers }),
  }));
  const energy = new Counter({
    name: 'gpu_energy_joules_total',
    help: 'Board energy since the exporter started: power.draw integrated over the time between nvidia-smi answers.',
    labelNames: LABELS,
    registers,
  });
  const devices = new Gauge({ name: 'gpu_devices', help: 'GPUs seen by nvidia-smi (0 without a GPU or without nvidia-smi).', registers });
  const up = new Gauge({ name: 'gpu_exporter_nvidia_smi_up', help: '1 when nvidia-smi answered within the last few intervals.', registers });
  const batchAge = new Gauge({
    name: 'gpu_exporter_last_batch_age_seconds',
    help: 'Age of the latest complete nvidia-smi answer when the sample was taken.',
    registers,
  });

  let lastServedSeq = -1;
  let samples = 0;
  const previousPower = new Map<string, { watts: number; atMs: number }>();
  let lastEnergy: TickGpuEnergy = { tickIndex: -1, gpus: [] };
  let report: HealthReport | undefined;
  const countUp = createCountMirror({ restarts, stalls, exits, readErrors });

  /** Integrates each batch's power into energy; returns each GPU's joules and time covered this tick. */
  const integrate = (batches: readonly { rows: readonly QueryRow[]; atMs: number }[]): GpuEnergyInterval[] => {
    const perGpu = new Map<string, { gpuId: string; gpuUuid: string; deltaJoules: number; intervalMs: number }>();
    for (const batch of batches) {
      for (const row of batch.rows) {
        const labels = labelsOf(row);
        const watts = numberOf(row.get('power.draw'));
        const previous = previousPower.get(labels.gpu_uuid);
        if (watts === undefined) {
          previousPower.delete(labels.gpu_uuid);
          continue;
        }
        const dtMs = previous === undefined ? undefined : batch.atMs - previous.atMs;
        const joules = dtMs !== undefined && dtMs > 0 && dtMs <= maxEnergyGapMs ? ((previous!.watts + watts) / 2) * (dtMs / 1000) : 0;
        energy.inc(labels, joules);
        previousPower.set(labels.gpu_uuid, { watts, atMs: batch.atMs });
        if (joules > 0) {
          const gpu = perGpu.get(labels.gpu_uuid) ?? { gpuId: labels.gpu_id, gpuUuid: labels.gpu_uuid, deltaJoules: 0, intervalMs: 0 };
          gpu.deltaJoules += joules;
          gpu.intervalMs += dtMs!;
          perGpu.set(labels.gpu_uuid, gpu);
        }
      }
    }
    return [...perGpu.values()];
  };

  const healthOf = (status: SourceStatus, ageMs: number | undefined, fresh: boolean, gpus: number): HealthReport => {
    const reasons: string[] = [];
    // A state without a detail (the first answer not yet in, or stopped) still reads as a sentence, not a bare word.
    if (status.state !== 'running') reasons.push(status.detail ?? (status.state === 'starting' ? "waiting for nvidia-smi's first answer" : `nvidia-smi ${status.state}`));
    else if (!fresh) {
      const exit = status.lastExit;
      const last = exit === undefined ? '' : ` (last exit: ${exit.reason}${exit.code === null ? '' : ` code ${exit.code}`}${exit.stderrTail ? `: ${exit.stderrTail.slice(-200)}` : ''})`;
      reasons.push(`no answer from nvidia-smi for ${ageMs === undefined ? 'ever' : `${(ageMs / 1000).toFixed(1)} s`}; restarting it${last}`);
    }
    return {
      status: reasons.length === 0 ? 'ok' : 'degraded',
      reasons,
      details: {
        nvidia_smi: status.state === 'running' && !fresh ? 'restarting' : status.state,
        gpus,
        ...(status.selection ? { unsupported_fields: status.selection.unsupported.map((m) => m.field) } : {}),
      },
    };
  };

  /** Freshness, the one test behind up, gpu_devices and /health. */
  const look = () => {
    const status = source.status();
    const batch = source.latest();
    const ageMs = batch === undefined ? undefined : now() - batch.atMs;
    const fresh = batch !== undefined && ageMs! <= staleAfterMs && status.state === 'running';
    return { status, batch, ageMs, fresh, gpus: fresh ? batch.rows.length : 0 };
  };

  return {
    async start() {
      if (!source.start) return;
      // Give nvidia-smi a head start so the first sample has data when it can, but never wait on a hung one.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([source.start(), new Promise<void>((resolve) => (timer = setTimeout(resolve, startWaitMs)))]);
      clearTimeout(timer);
    },

    async close() {
      await source.stop?.();
    },

    sample(tick) {
      const gpus = integrate(source.takeBatches());
      lastEnergy = { tickIndex: tick?.index ?? samples, gpus };
      samples++;
      const { status, batch, ageMs, fresh, gpus: gpuCount } = look();
      countUp(status.counts);
      up.set(fresh ? 1 : 0);
      devices.set(gpuCount);
      report = healthOf(status, ageMs, fresh, gpuCount);
      if (ageMs === undefined) batchAge.reset();
      else batchAge.set(ageMs / 1000);
      if (!fresh) {
        if (lastServedSeq !== -1) logger.warn('no fresh nvidia-smi answer: GPU series withdrawn until one comes', { age_s: ageMs === undefined ? undefined : ageMs / 1000 });
        for (const { gauge } of gauges) gauge.reset();
        lastServedSeq = -1;
        return;
      }
      if (batch!.seq === lastServedSeq) return;
      lastServedSeq = batch!.seq;
      for (const { spec, gauge } of gauges) {
        gauge.reset();
        for (const row of batch!.rows) {
          const value = numberOf(row.get(spec.field));
          if (value !== undefined) gauge.set(labelsOf(row), spec.scale === undefined ? value : value * spec.scale);
        }
      }
    },

    // As of the latest sample, so that /health and /metrics never disagree; before the first, as of now.
    health() {
      if (report) return report;
      const { status, ageMs, fresh, gpus } = look();
      return healthOf(status, ageMs, fresh, gpus);
    },

    lastEnergy: () => lastEnergy,
  };
}
