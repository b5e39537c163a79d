import { silentLogger, type HealthReport, type Logger } from '@proj/metrics-core';
import { numberOf, textOf, type QueryRow } from '@proj/nvsmi-parser';
import { Counter, Gauge, type Registry } from 'prom-client';
import { GPU_METRICS } from './fields.js';
import type { GpuBatch, NvidiaSmiSource } from './source.js';

const LABELS = ['gpu_id', 'gpu_name', 'gpu_uuid'] as const;
type GpuLabels = Record<(typeof LABELS)[number], string>;

function labelsOf(row: QueryRow): GpuLabels {
  return { gpu_id: textOf(row.get('index')) ?? '', gpu_name: textOf(row.get('name')) ?? '', gpu_uuid: textOf(row.get('uuid')) ?? '' };
}

/** Options for createGpuCollector. */
export interface GpuCollectorOptions {
  readonly registry: Registry;
  readonly source: Pick<NvidiaSmiSource, 'latest' | 'status'>;
  readonly intervalMs: number;
  /** A batch older than this is not served: the series go away rather than freeze. Default max(3 intervals, 5 s). */
  readonly staleAfterMs?: number;
  /** Power is not integrated across a gap between batches longer than this. Default max(5 intervals, 10 s). */
  readonly maxEnergyGapMs?: number;
  readonly now: () => number;
  readonly logger?: Logger;
}

/** Turns nvidia-smi batches into the gpu_* metrics. */
export interface GpuCollector {
  /** Feed every batch as it arrives (energy is integrated batch by batch). */
  onBatch(batch: GpuBatch): void;
  /** Sets every gauge from the latest batch; called once per sampler tick. */
  sample(): void;
  health(): HealthReport;
}

/**
 * Creates the GPU collector: one gauge per DESIGN.md metric labelled by gpu_id, gpu_name, gpu_uuid; an absent value
 * (`[N/A]`, `[Not Supported]`, ...) leaves its series out, never 0. `gpu_energy_joules_total` integrates power.draw
 * over the batches' arrival times (trapezoids). `gpu_devices` is 0 without nvidia-smi or GPUs.
 */
export function createGpuCollector(options: GpuCollectorOptions): GpuCollector {
  const { registry, source, intervalMs, now } = options;
  const logger = options.logger ?? silentLogger;
  const staleAfterMs = options.staleAfterMs ?? Math.max(3 * intervalMs, 5000);
  const maxEnergyGapMs = options.maxEnergyGapMs ?? Math.max(5 * intervalMs, 10_000);
  const registers = [registry];

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
  const count = new Gauge({ name: 'gpu_devices', help: 'GPUs seen by nvidia-smi (0 without a GPU or without nvidia-smi).', registers });
  const up = new Gauge({ name: 'gpu_exporter_nvidia_smi_up', help: '1 when nvidia-smi answered within the last few intervals.', registers });
  const batchAge = new Gauge({
    name: 'gpu_exporter_last_batch_age_seconds',
    help: 'Age of the latest complete nvidia-smi answer when the sample was taken.',
    registers,
  });

  let lastServedSeq = -1;
  const previousPower = new Map<string, { watts: number; atMs: number }>();

  return {
    onBatch(batch) {
      for (const row of batch.rows) {
        const labels = labelsOf(row);
        const watts = numberOf(row.get('power.draw'));
        const previous = previousPower.get(labels.gpu_uuid);
        if (watts === undefined) {
          previousPower.delete(labels.gpu_uuid);
          continue;
        }
        const dtMs = previous === undefined ? undefined : batch.atMs - previous.atMs;
        energy.inc(labels, dtMs !== undefined && dtMs > 0 && dtMs <= maxEnergyGapMs ? ((previous!.watts + watts) / 2) * (dtMs / 1000) : 0);
        previousPower.set(labels.gpu_uuid, { watts, atMs: batch.atMs });
      }
    },

    sample() {
      const batch = source.latest();
      const status = source.status();
      const ageMs = batch === undefined ? undefined : now() - batch.atMs;
      const fresh = batch !== undefined && ageMs! <= staleAfterMs && status.state === 'running';
      up.set(fresh ? 1 : 0);
      count.set(status.gpuCount);
      if (ageMs === undefined) batchAge.reset();
      else batchAge.set(ageMs / 1000);
      if (!fresh) {
        if (lastServedSeq !== -1) logger.warn('no fresh nvidia-smi answer: GPU series withdrawn until one comes', { age_s: ageMs === undefined ? undefined : ageMs / 1000 });
        for (const { gauge } of gauges) gauge.reset();
        lastServedSeq = -1;
        return;
      }
      if (batch.seq === lastServedSeq) return;
      lastServedSeq = batch.seq;
      for (const { spec, gauge } of gauges) {
        gauge.reset();
        for (const row of batch.rows) {
          const value = numberOf(row.get(spec.field));
          if (value !== undefined) gauge.set(labelsOf(row), spec.scale === undefined ? value : value * spec.scale);
        }
      }
    },

    health() {
      const status = source.status();
      const batch = source.latest();
      const reasons: string[] = [];
      if (status.state !== 'running') reasons.push(status.detail ?? status.state);
      else if (batch === undefined || now() - batch.atMs > staleAfterMs) {
        const exit = status.lastExit;
        const last = exit === undefined ? '' : ` (last exit: ${exit.reason}${exit.code === null ? '' : ` code ${exit.code}`}${exit.stderrTail ? `: ${exit.stderrTail.slice(-200)}` : ''})`;
        reasons.push(`no answer from nvidia-smi for ${batch === undefined ? 'ever' : `${((now() - batch.atMs) / 1000).toFixed(1)} s`}; restarting it${last}`);
      }
      return {
        status: reasons.length === 0 ? 'ok' : 'degraded',
        reasons,
        details: {
          nvidia_smi: status.state,
          gpus: status.gpuCount,
          ...(status.selection ? { unsupported_fields: status.selection.unsupported.map((m) => m.field) } : {}),
        },
      };
    },
  };
}
