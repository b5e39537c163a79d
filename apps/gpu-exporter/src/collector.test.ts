import { loadNvidiaSmiCapture, queryGpuFieldsOf } from '@proj/fixtures';
import { parseQueryCsv, type QueryRow } from '@proj/nvsmi-parser';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createGpuCollector } from './collector.js';
import type { GpuBatch, SourceStatus } from './source.js';

/** Rows of an all-fields capture, as the exporter would see them. */
function rowsOf(captureName: string): readonly QueryRow[] {
  const capture = loadNvidiaSmiCapture(captureName);
  const fields = queryGpuFieldsOf(capture.command!)!;
  return parseQueryCsv(capture.text, { header: true, fields }).rows;
}

function setup(status: Partial<SourceStatus> = {}) {
  const registry = new Registry();
  let t = 0;
  let latest: GpuBatch | undefined;
  let arrived: GpuBatch[] = [];
  let seq = 0;
  const counts = { restarts: 0, stalls: 0, exits: new Map<string, number>(), readErrors: new Map<string, number>() };
  let sourceStatus: SourceStatus = { state: 'running', detail: undefined, gpuCount: 1, selection: undefined, lastExit: undefined, counts, ...status };
  const collector = createGpuCollector({
    registry,
    intervalMs: 1000,
    now: () => t,
    source: {
      takeBatches: () => {
        const taken = arrived;
        arrived = [];
        return taken;
      },
      latest: () => latest,
      status: () => sourceStatus,
    },
  });
  return {
    registry,
    collector,
    counts,
    /** A batch arrives at time `atMs`. */
    arrive(rows: readonly QueryRow[], atMs: number) {
      t = atMs;
      latest = { rows, atMs, seq: ++seq };
      sourceStatus = { ...sourceStatus, gpuCount: rows.length };
      arrived.push(latest);
    },
    sampleAt(ms: number) {
      t = ms;
      collector.sample();
    },
    setStatus(next: Partial<SourceStatus>) {
      sourceStatus = { ...sourceStatus, ...next };
    },
    async values(name: string) {
      const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
      return (metric?.values ?? []).map((v) => ({ labels: v.labels, value: v.value }));
    },
  };
}

const H100 = 'utkuozdemir__linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load_query-gpu-all-fields_csv';
const MIG = 'utkuozdemir__linux-x86_64__nvidia-h100-mig__590.48.01__idle_query-gpu-all-fields_csv';
const H100_LABELS = { gpu_id: '0', gpu_name: 'NVIDIA H100 80GB HBM3', gpu_uuid: 'GPU-00000000-0000-0000-0000-000000000000' };

describe('createGpuCollector', () => {
  it('exports every metric of a loaded H100 with its labels, in the metric units', async () => {
    const c = setup();
    c.arrive(rowsOf(H100), 0);
    c.sampleAt(10);
    // Spot values read off the capture file by hand.
    const capture = loadNvidiaSmiCapture(H100).text;
    expect(capture).toContain('631.95 W');
    expect(await c.values('gpu_power_draw_watts')).toEqual([{ labels: H100_LABELS, value: 631.95 }]);
    expect(await c.values('gpu_power_limit_watts')).toEqual([{ labels: H100_LABELS, value: 700 }]);
    expect(await c.values('gpu_utilization_percent')).toEqual([{ labels: H100_LABELS, value: 100 }]);
    expect(await c.values('gpu_memory_total_bytes')).toEqual([{ labels: H100_LABELS, value: 81559 * 1048576 }]);
    expect(await c.values('gpu_clocks_sm_mhz')).toEqual([{ labels: H100_LABELS, value: 1980 }]);
    expect(await c.values('gpu_devices')).toEqual([{ labels: {}, value: 1 }]);
    expect(await c.values('gpu_exporter_nvidia_smi_up')).toEqual([{ labels: {}, value: 1 }]);
  });

  it('leaves a series out where nvidia-smi says [N/A], never 0 (MIG parent utilisation)', async () => {
    const capture = loadNvidiaSmiCapture(MIG);
    const c = setup();
    c.arrive(rowsOf(MIG), 0);
    c.sampleAt(10);
    expect(capture.text).toMatch(/\[N\/A\]/);
    expect(await c.values('gpu_utilization_percent')).toEqual([]);
    expect(await c.values('gpu_memory_utilization_percent')).toEqual([]);
    expect((await c.values('gpu_power_draw_watts')).length).toBe(1);
  });

  it('integrates power over the time between answers, exactly (trapezoids)', async () => {
    const rows = rowsOf(H100); // 631.95 W
    const idle = rowsOf('utkuozdemir__linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__idle_query-gpu-all-fields_csv');
    const idleWatts = (await (async () => {
      const c = setup();
      c.arrive(idle, 0);
      c.sampleAt(0);
      return (await c.values('gpu_power_draw_watts'))[0]!.value;
    })())!;
    const c = setup();
    c.arrive(rows, 0);
    c.arrive(rows, 1000);
    c.arrive(idle, 1500);
    c.sampleAt(1500);
    const [energy] = await c.values('gpu_energy_joules_total');
    expect(energy!.value).toBeCloseTo(631.95 + ((631.95 + idleWatts) / 2) * 0.5, 9);
  });

  it('does not integrate across a gap too long to trust', async () => {
    const rows = rowsOf(H100);
    const c = setup();
    c.arrive(rows, 0);
    c.arrive(rows, 60_000);
    c.arrive(rows, 61_000);
    c.sampleAt(61_000);
    expect((await c.values('gpu_energy_joules_total'))[0]!.value).toBeCloseTo(631.95, 9);
  });

  it('withdraws the series when the latest answer is stale, and serves them again when a fresh one comes', async () => {
    const c = setup();
    c.arrive(rowsOf(H100), 0);
    c.sampleAt(1000);
    expect(await c.values('gpu_power_draw_watts')).toHaveLength(1);
    c.sampleAt(5001);
    expect(await c.values('gpu_power_draw_watts')).toEqual([]);
    expect(await c.values('gpu_exporter_nvidia_smi_up')).toEqual([{ labels: {}, value: 0 }]);
    expect(c.collector.health()).toMatchObject({ status: 'degraded' });
    expect(c.collector.health().reasons[0]).toMatch(/^no answer from nvidia-smi for 5\.0 s; restarting it/);
    c.arrive(rowsOf(H100), 6000);
    c.sampleAt(6000);
    expect(await c.values('gpu_power_draw_watts')).toHaveLength(1);
    expect(c.collector.health()).toMatchObject({ status: 'ok', reasons: [] });
  });

  it('reports gpu_devices 0 and a degraded health without nvidia-smi', async () => {
    const c = setup({ state: 'missing', detail: 'cannot run nvidia-smi (ENOENT: not installed or not on PATH)', gpuCount: 0 });
    c.sampleAt(0);
    expect(await c.values('gpu_devices')).toEqual([{ labels: {}, value: 0 }]);
    expect(await c.values('gpu_power_draw_watts')).toEqual([]);
    expect(c.collector.health()).toEqual({
      status: 'degraded',
      reasons: ['cannot run nvidia-smi (ENOENT: not installed or not on PATH)'],
      details: { nvidia_smi: 'missing', gpus: 0 },
    });
  });

  it('says in a sentence that nvidia-smi has not answered yet while the source is starting', () => {
    const c = setup({ state: 'starting', gpuCount: 0 });
    c.sampleAt(0);
    expect(c.collector.health()).toMatchObject({ status: 'degraded', reasons: ["waiting for nvidia-smi's first answer"] });
  });

  it('hands on each GPU\'s energy of the tick, for a per-process collector after it', async () => {
    const c = setup();
    c.arrive(rowsOf(H100), 0);
    c.arrive(rowsOf(H100), 500);
    c.arrive(rowsOf(H100), 1000);
    c.collector.sample({ index: 7, scheduledAtMs: 1000, startedAtMs: 1000 });
    expect(c.collector.lastEnergy()).toEqual({ tickIndex: 7, gpus: [{ gpuId: '0', gpuUuid: H100_LABELS.gpu_uuid, deltaJoules: expect.closeTo(631.95, 9), intervalMs: 1000 }] });
    c.sampleAt(1100); // nothing arrived since
    expect(c.collector.lastEnergy().gpus).toEqual([]);
  });

  it('brings the source\'s counts to its counters, which only go up', async () => {
    const c = setup();
    c.counts.restarts = 2;
    c.counts.exits.set('signal_SIGKILL', 2);
    c.counts.readErrors.set('gpu_lost', 1);
    c.sampleAt(0);
    c.counts.readErrors.set('gpu_lost', 3);
    c.sampleAt(1000);
    expect(await c.values('gpu_exporter_nvidia_smi_restarts_total')).toEqual([{ labels: {}, value: 2 }]);
    expect(await c.values('gpu_exporter_nvidia_smi_exits_total')).toEqual([{ labels: { code: 'signal_SIGKILL' }, value: 2 }]);
    expect((await c.values('gpu_exporter_read_errors_total')).find((v) => v.labels.reason === 'gpu_lost')).toEqual({ labels: { reason: 'gpu_lost' }, value: 3 });
  });

  it('never says running with GPUs on /health while nvidia_smi_up is 0 (one freshness test for both)', async () => {
    const c = setup();
    c.arrive(rowsOf(H100), 0);
    c.sampleAt(0);
    expect(await c.values('gpu_exporter_nvidia_smi_up')).toEqual([{ labels: {}, value: 1 }]);
    expect(c.collector.health()).toMatchObject({ status: 'ok', details: { nvidia_smi: 'running', gpus: 1 } });
    // A restart storm: the source still counts itself running, but no answer has come for 6 s.
    c.sampleAt(6000);
    expect(await c.values('gpu_exporter_nvidia_smi_up')).toEqual([{ labels: {}, value: 0 }]);
    expect(await c.values('gpu_devices')).toEqual([{ labels: {}, value: 0 }]);
    expect(c.collector.health()).toMatchObject({ status: 'degraded', details: { nvidia_smi: 'restarting', gpus: 0 } });
  });
});
