import { loadPmonCapture } from '@proj/fixtures';
import { parsePmon, parseQueryCsv, type PmonRow } from '@proj/nvsmi-parser';
import { openProcfs } from '@proj/proc-reader';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { DOCKER_CONTAINER_ID, writeProcfsTree } from '../test/procfs.js';
import type { TickGpuEnergy } from './collector.js';
import { createPmonCollector, type PmonMode } from './pmon-collector.js';
import type { PmonBatch, PmonGpu, PmonStatus } from './pmon-source.js';
import type { GpuBatch, SourceStatus } from './source.js';

const DATARHEI = 'datarhei-core__pmon-s-um-ffmpeg-multisample';
const UUID = 'GPU-00000000-0000-0000-0000-000000000000';
/** The capture's 10 intervals: the same 5 ffmpeg processes on GPU 0. */
const INTERVALS = parsePmon(loadPmonCapture(DATARHEI).text).samples.map((s) => s.rows);

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

function setup(options: { mode?: Exclude<PmonMode, 'off'>; match?: RegExp; procfsRoot?: string } = {}) {
  const registry = new Registry();
  let t = 0;
  let tick = 0;
  let seq = 0;
  let arrived: PmonBatch[] = [];
  let energy: TickGpuEnergy = { tickIndex: -1, gpus: [] };
  const watched: PmonGpu[][] = [];
  const counts = { restarts: 0, stalls: 0, exits: new Map<string, number>(), readErrors: new Map<string, number>() };
  let status: PmonStatus = { state: 'probing', groups: [{ gpuIndexes: [0], state: 'probing', detail: undefined }], delaySeconds: 1, counts };
  let gpuState: SourceStatus['state'] = 'running';
  const gpuBatch: GpuBatch = { rows: parseQueryCsv(`0, NVIDIA GeForce RTX 3090, ${UUID}\n`, { header: false, fields: ['index', 'name', 'uuid'] }).rows, atMs: 0, seq: 1 };
  const procfs = writeProcfsTree();
  cleanups.push(() => procfs.remove());
  const collector = createPmonCollector({
    registry,
    mode: options.mode ?? 'auto',
    match: options.match ?? /^(ffmpeg|ffprobe|gst-launch-1\.0)$/,
    procfs: openProcfs({ procfsRoot: options.procfsRoot ?? procfs.root }),
    intervalMs: 1000,
    now: () => t,
    source: {
      watch: (gpus) => void watched.push([...gpus]),
      takeBatches: () => {
        const taken = arrived;
        arrived = [];
        return taken;
      },
      status: () => status,
    },
    gpus: { latest: () => gpuBatch, status: () => ({ state: gpuState }) as SourceStatus },
    energy: { lastEnergy: () => energy },
  });
  let totalJoules = 0;
  return {
    registry,
    collector,
    watched,
    setGroupState(state: PmonStatus['state'], detail?: string) {
      status = { ...status, state, groups: [{ gpuIndexes: [0], state: state as 'running', detail }] };
    },
    setGpuState(state: SourceStatus['state']) {
      gpuState = state;
    },
    /** A pmon interval arrives now. */
    arrive(rows: readonly PmonRow[]) {
      arrived.push({ rows, gpuIndexes: [0], atMs: t, seq: ++seq });
    },
    /** The next tick at `atMs`, with the GPU's energy of that tick. */
    tickAt(atMs: number, deltaJoules: number) {
      t = atMs;
      energy = { tickIndex: tick, gpus: deltaJoules > 0 ? [{ gpuId: '0', gpuUuid: UUID, deltaJoules, intervalMs: 1000 }] : [] };
      totalJoules += deltaJoules;
      collector.sample({ index: tick++, scheduledAtMs: atMs, startedAtMs: atMs });
    },
    totalJoules: () => totalJoules,
    async values(name: string) {
      const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
      return (metric?.values ?? []).map((v) => ({ labels: v.labels as Record<string, string>, value: v.value }));
    },
    async sumOf(name: string) {
      return (await this.values(name)).reduce((a, v) => a + v.value, 0);
    },
  };
}

describe('createPmonCollector', () => {
  it('registers nothing while pmon is not running (auto): a driver without pmon adds no series', async () => {
    const c = setup();
    c.tickAt(0, 10);
    c.setGroupState('not_supported', 'pmon: Not supported on the device(s)');
    c.tickAt(1000, 10);
    expect((await c.registry.getMetricsAsJSON()).map((m) => m.name)).toEqual([]);
    expect(c.collector.health()).toMatchObject({ status: 'ok', reasons: [], details: { pmon: 'not_supported' } });
  });

  it('with --pmon on, says on /health that pmon is not supported', async () => {
    const c = setup({ mode: 'on' });
    c.setGroupState('not_supported', 'pmon: Not supported on the device(s)');
    c.tickAt(0, 10);
    expect(c.collector.health().status).toBe('degraded');
    expect(c.collector.health().reasons[0]).toContain('Not supported on the device(s)');
    expect(await c.values('gpu_exporter_pmon_up')).toEqual([{ labels: {}, value: 0 }]);
  });

  it('watches the GPUs of the -lms source, and keeps them while it is not running', () => {
    const c = setup();
    c.tickAt(0, 0);
    c.setGpuState('failing');
    c.tickAt(1000, 0);
    expect(c.watched).toEqual([[{ index: 0, uuid: UUID }]]);
  });

  it('exports each matched process: utilisation per engine, memory, and joules in proportion to sm + enc + dec', async () => {
    const c = setup();
    c.setGroupState('running');
    c.arrive(INTERVALS[0]!);
    c.tickAt(1000, 42);
    // Interval 0, read off the capture: 7372 sm 2 enc 2 dec - (4), 12176 5+3+7 (15), 20035 8+4+1 (13),
    // 20141 2+1+3 (6), 29591 2+-+2 (4); Σ 42.
    const joules = new Map((await c.values('energy_process_gpu_joules_total')).map((v) => [v.labels.pid, v.value]));
    expect(Object.fromEntries(joules)).toEqual({ '7372': 4, '12176': 15, '20035': 13, '20141': 6, '29591': 4 });
    expect(await c.values('energy_gpu_unattributed_joules_total')).toEqual([{ labels: { gpu_id: '0', gpu_uuid: UUID }, value: 0 }]);
    const util = (await c.values('gpu_process_utilization_percent')).filter((v) => v.labels.pid === '12176');
    expect(Object.fromEntries(util.map((v) => [v.labels.engine, v.value]))).toEqual({ sm: 5, mem: 2, enc: 3, dec: 7 });
    expect(util[0]!.labels).toMatchObject({ gpu_id: '0', gpu_name: 'NVIDIA GeForce RTX 3090', gpu_uuid: UUID, comm: 'ffmpeg' });
    expect((await c.values('gpu_process_memory_used_bytes')).find((v) => v.labels.pid === '20035')!.value).toBe(1145 * 1048576);
    expect(await c.values('gpu_exporter_pmon_up')).toEqual([{ labels: {}, value: 1 }]);
  });

  it('keeps Σ processes + unattributed equal to the GPU energy over every interval of the capture, from before pmon ran', async () => {
    const c = setup();
    c.tickAt(0, 3.5); // pmon still probing: all unattributed
    c.setGroupState('running');
    INTERVALS.forEach((rows, i) => {
      c.arrive(rows);
      c.tickAt(1000 * (i + 1), 30 + i);
    });
    const sum = (await c.sumOf('energy_process_gpu_joules_total')) + (await c.sumOf('energy_gpu_unattributed_joules_total'));
    expect(sum).toBeCloseTo(c.totalJoules(), 9);
    expect(await c.sumOf('energy_gpu_unattributed_joules_total')).toBeGreaterThanOrEqual(3.5 - 1e-9);
  });

  it('gives unmatched processes no series and their share to unattributed', async () => {
    const c = setup({ match: /^gst-launch-1\.0$/ });
    c.setGroupState('running');
    c.arrive(INTERVALS[0]!);
    c.tickAt(1000, 42);
    expect(await c.values('energy_process_gpu_joules_total')).toEqual([]);
    expect(await c.values('gpu_process_utilization_percent')).toEqual([]);
    expect(await c.sumOf('energy_gpu_unattributed_joules_total')).toBe(42);
  });

  it('stops exporting a process that ended', async () => {
    const c = setup();
    c.setGroupState('running');
    c.arrive(INTERVALS[0]!);
    c.tickAt(1000, 42);
    c.arrive(INTERVALS[1]!.filter((row) => row.pid !== 29591));
    c.tickAt(2000, 10);
    for (const name of ['energy_process_gpu_joules_total', 'gpu_process_utilization_percent', 'gpu_process_memory_used_bytes']) {
      const pids = new Set((await c.values(name)).map((v) => v.labels.pid));
      expect(pids.has('29591')).toBe(false);
      expect(pids.size).toBe(4);
    }
  });

  it('reads container_id where /proc holds the same process, and leaves it empty where the pid is another one or absent', async () => {
    const c = setup();
    c.setGroupState('running');
    c.arrive(INTERVALS[0]!);
    c.tickAt(1000, 42);
    const containers = Object.fromEntries((await c.values('energy_process_gpu_joules_total')).map((v) => [v.labels.pid, v.labels.container_id]));
    // 7372 is ffmpeg in docker; 12176 ffmpeg on the host; 20035 is a bash here; 20141 and 29591 are not in this /proc.
    expect(containers).toEqual({ '7372': DOCKER_CONTAINER_ID, '12176': '', '20035': '', '20141': '', '29591': '' });
    expect(c.collector.health()).toMatchObject({ status: 'ok', details: { pmon_processes: 5, pmon_pids_visible: true } });
  });

  it('says on /health when none of pmon\'s pids is in /proc (another pid namespace), keeping pmon\'s command names', async () => {
    const c = setup({ procfsRoot: '/nonexistent/proc' });
    c.setGroupState('running');
    c.arrive(INTERVALS[0]!);
    c.tickAt(1000, 42);
    const health = c.collector.health();
    expect(health.status).toBe('degraded');
    expect(health.reasons[0]).toContain("pmon's pids are not in /nonexistent/proc");
    const labels = (await c.values('energy_process_gpu_joules_total')).map((v) => v.labels);
    expect(labels.every((l) => l.comm === 'ffmpeg' && l.container_id === '')).toBe(true);
  });

  it('gives all energy to unattributed and withdraws the gauges when pmon goes quiet, keeping the process counters', async () => {
    const c = setup();
    c.setGroupState('running');
    c.arrive(INTERVALS[0]!);
    c.tickAt(1000, 42);
    const before = await c.sumOf('energy_gpu_unattributed_joules_total');
    c.tickAt(10_000, 20); // 9 s without an interval: past max(3 x 1 s, 5 s)
    expect((await c.sumOf('energy_gpu_unattributed_joules_total')) - before).toBe(20);
    expect(await c.values('gpu_process_utilization_percent')).toEqual([]);
    expect(await c.values('gpu_process_memory_used_bytes')).toEqual([]);
    // Kept, not grown: Σ processes + unattributed stays the GPU's energy through the outage.
    expect(await c.sumOf('energy_process_gpu_joules_total')).toBe(42);
    expect((await c.sumOf('energy_process_gpu_joules_total')) + (await c.sumOf('energy_gpu_unattributed_joules_total'))).toBe(c.totalJoules());
    expect(await c.values('gpu_exporter_pmon_up')).toEqual([{ labels: {}, value: 0 }]);
    expect(c.collector.health().reasons[0]).toContain('no interval from nvidia-smi pmon for GPU 0');
  });
});
