import { silentLogger, type Collector, type HealthReport, type Logger, type SamplerTick } from '@proj/metrics-core/metrics';
import { textOf, type PmonRow } from '@proj/nvsmi-parser';
import type { Procfs } from '@proj/proc-reader';
import { Counter, Gauge, type Metric, type Registry } from 'prom-client';
import type { GpuCollector } from './collector.js';
import { createCountMirror } from './counts.js';
import { pmonDelaySeconds, type PmonGpu, type PmonSource, type PmonStatus } from './pmon-source.js';
import type { NvidiaSmiSource } from './source.js';
import { splitGpuEnergy } from '@proj/attribution';

/** `--pmon`: `auto` runs pmon where the driver supports it; `on` also says on /health when it cannot. */
export type PmonMode = 'auto' | 'on' | 'off';

/** Options for createPmonCollector. */
export interface PmonCollectorOptions {
  readonly registry: Registry;
  readonly source: Pick<PmonSource, 'watch' | 'takeBatches' | 'status'> & Partial<Pick<PmonSource, 'stop'>>;
  /** The `-lms` source: which GPUs there are (index and UUID), so that pmon watches the same ones. */
  readonly gpus: Pick<NvidiaSmiSource, 'latest' | 'status'>;
  /** The producer of each GPU's energy per tick: this collector is placed after it. */
  readonly energy: Pick<GpuCollector, 'lastEnergy'>;
  /** Processes whose pmon command matches get series; the others' share stays unattributed. null: none. */
  readonly match: RegExp | null;
  readonly mode: Exclude<PmonMode, 'off'>;
  /** Where container_id is read from (`/proc/<pid>/cgroup`), when pmon's pid is visible there. */
  readonly procfs: Procfs;
  /** The exporter's interval (pmon's is this rounded up to whole seconds). */
  readonly intervalMs: number;
  /** A GPU's pmon interval older than this is not used. Default max(3 pmon intervals, 5 s). */
  readonly staleAfterMs?: number;
  readonly now: () => number;
  readonly logger?: Logger;
}

/** Per-process GPU use and energy, from the pmon source and the GPU collector's energy. */
export interface PmonCollector extends Collector {
  sample(tick: SamplerTick): void;
  health(): HealthReport;
}

const ENGINES = [
  ['sm', 'smPercent'],
  ['mem', 'memPercent'],
  ['enc', 'encPercent'],
  ['dec', 'decPercent'],
  ['jpg', 'jpgPercent'],
  ['ofa', 'ofaPercent'],
] as const satisfies readonly (readonly [string, keyof PmonRow])[];
const MIB = 1048576;

/** A process on a GPU in the latest pmon interval, as this collector labels it. */
interface ProcessOnGpu {
  readonly key: string;
  readonly row: PmonRow;
  readonly labels: { gpu_id: string; gpu_name: string; gpu_uuid: string; pid: string; comm: string };
  readonly matched: boolean;
}

/** What /proc says of a pmon pid: whether it is the same process (same comm), and its container. */
interface ProcView {
  readonly visible: boolean;
  readonly containerId: string;
}

/**
 * Creates the per-process GPU collector. Each tick it hands the `-lms` source's GPU set to the pmon source (probed
 * again when it changes), keeps each GPU's latest pmon interval, exports the matched processes' utilisation and
 * memory, and splits each GPU's energy of this tick (from `energy.lastEnergy()`) over that interval's processes in
 * proportion to sm + enc + dec; what no matched process explains goes to `energy_gpu_unattributed_joules_total`, so
 * per GPU Σ processes + unattributed = the `gpu_energy_joules_total` increase. Its series are registered once pmon
 * runs (with `--pmon on`, from the start): a driver without pmon adds nothing to /metrics.
 */
export function createPmonCollector(options: PmonCollectorOptions): PmonCollector {
  const { registry, source, gpus, energy, match, mode, procfs, now } = options;
  const logger = options.logger ?? silentLogger;
  const staleAfterMs = options.staleAfterMs ?? Math.max(3 * pmonDelaySeconds(options.intervalMs) * 1000, 5000);
  const registers: Registry[] = [];

  const utilisation = new Gauge({
    name: 'gpu_process_utilization_percent',
    help: "A process's use of one GPU engine (sm, mem, enc, dec, jpg, ofa) in nvidia-smi pmon's latest interval; only processes matching --attribute-processes.",
    labelNames: ['gpu_id', 'gpu_name', 'gpu_uuid', 'pid', 'comm', 'engine'],
    registers,
  });
  const memory = new Gauge({
    name: 'gpu_process_memory_used_bytes',
    help: "A process's frame-buffer memory on one GPU (pmon's fb, MiB x 1048576); only processes matching --attribute-processes.",
    labelNames: ['gpu_id', 'gpu_name', 'gpu_uuid', 'pid', 'comm'],
    registers,
  });
  const processEnergy = new Counter({
    name: 'energy_process_gpu_joules_total',
    help: "A process's share of its GPU's energy, in proportion to its sm + enc + dec utilisation (a model); the series ends with the process.",
    labelNames: ['gpu_id', 'gpu_uuid', 'pid', 'comm', 'container_id'],
    registers,
  });
  const unattributed = new Counter({
    name: 'energy_gpu_unattributed_joules_total',
    help: 'GPU energy no matched process explains (idle GPU, processes not matching --attribute-processes, pmon unavailable); with the processes it adds up to gpu_energy_joules_total.',
    labelNames: ['gpu_id', 'gpu_uuid'],
    registers,
  });
  const up = new Gauge({ name: 'gpu_exporter_pmon_up', help: '1 when every nvidia-smi pmon child answered within the last few pmon intervals.', registers });
  const restarts = new Counter({ name: 'gpu_exporter_pmon_restarts_total', help: 'Times an nvidia-smi pmon child was started again.', registers });
  const exits = new Counter({
    name: 'gpu_exporter_pmon_exits_total',
    help: 'nvidia-smi pmon children that ended, by exit code (or signal, or spawn error).',
    labelNames: ['code'],
    registers,
  });
  const stalls = new Counter({
    name: 'gpu_exporter_pmon_stalls_total',
    help: 'nvidia-smi pmon children killed (whole process group) because no interval came in time.',
    registers,
  });
  const readErrors = new Counter({
    name: 'gpu_exporter_pmon_read_errors_total',
    help: 'nvidia-smi pmon output that was not data, by reason (column_count, unrecognised_line, gpu_lost, timeout, ...).',
    labelNames: ['reason'],
    registers,
  });
  const metrics = [utilisation, memory, processEnergy, unattributed, up, restarts, exits, stalls, readErrors];
  let registered = false;
  const register = (): void => {
    if (registered) return;
    registered = true;
    for (const metric of metrics) registry.registerMetric(metric as Metric);
  };
  if (mode === 'on') register();

  const gpuByIndex = new Map<number, { uuid: string; name: string }>();
  const latestByGpu = new Map<number, { atMs: number; rows: PmonRow[] }>();
  const exported = new Map<string, Record<string, string>>();
  const procViews = new Map<string, ProcView>();
  let report: HealthReport | undefined;
  let warnedTick = false;
  let samples = 0;

  const countUp = createCountMirror({ restarts, stalls, exits, readErrors });

  /** The GPUs of the `-lms` source's latest answer; unchanged while it restarts, so pmon goes on meanwhile. */
  const gpuSet = (): PmonGpu[] | undefined => {
    const batch = gpus.latest();
    if (gpus.status().state !== 'running' || batch === undefined) return undefined;
    const list: PmonGpu[] = [];
    for (const row of batch.rows) {
      const index = Number(textOf(row.get('index')));
      if (!Number.isInteger(index)) continue;
      const uuid = textOf(row.get('uuid')) ?? '';
      list.push({ index, uuid });
      gpuByIndex.set(index, { uuid, name: textOf(row.get('name')) ?? '' });
    }
    return list;
  };

  /** Whether pmon's pid is this process in our /proc (same comm), and its container; read once per process. */
  const viewOf = (key: string, pid: number, comm: string): ProcView => {
    const cached = procViews.get(key);
    if (cached) return cached;
    let view: ProcView = { visible: false, containerId: '' };
    try {
      // pmon cuts the command to 15 characters, as the kernel does comm: a different name is another process.
      if (procfs.readProcessStat(pid).comm === comm) {
        // Visible even when its cgroup cannot be read.
        view = { visible: true, containerId: '' };
        view = { visible: true, containerId: procfs.readProcessCgroup(pid).containerId ?? '' };
      }
    } catch {
      // Not in this pid namespace, ended, or unreadable: no container_id, and comm stays pmon's.
    }
    procViews.set(key, view);
    return view;
  };

  /** Each fresh GPU's processes, by GPU index. */
  const currentProcesses = (atMs: number): Map<number, ProcessOnGpu[]> => {
    const byGpu = new Map<number, ProcessOnGpu[]>();
    for (const [index, latest] of latestByGpu) {
      if (atMs - latest.atMs > staleAfterMs) continue;
      const gpu = gpuByIndex.get(index);
      byGpu.set(
        index,
        latest.rows.map((row) => {
          const comm = row.command ?? '';
          return {
            key: `${index}/${row.pid!}/${comm}`,
            row,
            labels: { gpu_id: String(index), gpu_name: gpu?.name ?? '', gpu_uuid: gpu?.uuid ?? '', pid: String(row.pid!), comm },
            matched: match !== null && match.test(comm),
          };
        }),
      );
    }
    return byGpu;
  };

  const healthOf = (status: PmonStatus, staleGroups: string[], matched: number, visible: number): HealthReport => {
    const reasons: string[] = [];
    const problems = status.groups.filter((g) => g.state === 'failing' || (mode === 'on' && g.state === 'not_supported'));
    for (const group of problems) reasons.push(`nvidia-smi pmon for GPU ${group.gpuIndexes.join(',')}: ${group.detail ?? group.state}`);
    for (const gpusText of staleGroups) reasons.push(`no interval from nvidia-smi pmon for GPU ${gpusText} for over ${staleAfterMs / 1000} s; restarting it`);
    if (matched > 0 && visible === 0) {
      reasons.push(
        `pmon's pids are not in ${procfs.procfsRoot}: the exporter does not see the host's pid namespace, so container_id is empty and comm is pmon's (run it with the host's pid namespace)`,
      );
    }
    return {
      status: reasons.length === 0 ? 'ok' : 'degraded',
      reasons,
      details: { pmon: status.state, pmon_processes: matched, ...(matched > 0 ? { pmon_pids_visible: visible > 0 } : {}) },
    };
  };

  return {
    async close() {
      await source.stop?.();
    },

    sample(tick) {
      const atMs = now();
      const set = gpuSet();
      if (set !== undefined && set.length > 0) source.watch(set);
      for (const batch of source.takeBatches()) {
        for (const index of batch.gpuIndexes) {
          latestByGpu.set(index, { atMs: batch.atMs, rows: batch.rows.filter((row) => row.gpuIndex === index && row.pid !== undefined) });
        }
      }
      const status = source.status();
      if (status.state === 'running') register();
      countUp(status.counts);

      const byGpu = currentProcesses(atMs);
      const tickIndex = tick?.index ?? samples;
      samples++;
      const gpuEnergy = energy.lastEnergy();
      if (gpuEnergy.tickIndex === tickIndex) {
        for (const gpu of gpuEnergy.gpus) {
          const processes = byGpu.get(Number(gpu.gpuId)) ?? [];
          const split = splitGpuEnergy(gpu.deltaJoules, processes.map((p) => ({ ...p.row, matched: p.matched })));
          processes.forEach((p, i) => {
            if (!p.matched) return;
            const view = viewOf(p.key, p.row.pid!, p.labels.comm);
            // energy_process_gpu_joules_total keeps its contract's labels: gpu_id and gpu_uuid, no gpu_name.
            const labels = { gpu_id: p.labels.gpu_id, gpu_uuid: p.labels.gpu_uuid, pid: p.labels.pid, comm: p.labels.comm, container_id: view.containerId };
            processEnergy.inc(labels, split.processJoules[i]!);
            exported.set(p.key, labels);
          });
          unattributed.inc({ gpu_id: gpu.gpuId, gpu_uuid: gpu.gpuUuid }, split.unattributedJoules);
        }
      } else if (gpuEnergy.gpus.length > 0 && !warnedTick) {
        warnedTick = true;
        logger.warn('GPU energy is not of this tick: the pmon collector must come after the GPU collector', { tick: tickIndex, energy_tick: gpuEnergy.tickIndex });
      }

      // Gauges from the fresh intervals only; a process a fresh interval no longer lists has ended: its series go.
      utilisation.reset();
      memory.reset();
      const current = new Set<string>();
      let matched = 0;
      let visible = 0;
      for (const processes of byGpu.values()) {
        for (const p of processes) {
          if (!p.matched) continue;
          current.add(p.key);
          matched++;
          if (viewOf(p.key, p.row.pid!, p.labels.comm).visible) visible++;
          for (const [engine, field] of ENGINES) {
            const value = p.row[field];
            if (value !== undefined) utilisation.set({ ...p.labels, engine }, value as number);
          }
          if (p.row.fbMiB !== undefined) memory.set(p.labels, p.row.fbMiB * MIB);
        }
      }
      // Only a fresh interval can say a process ended: while pmon is quiet its counters stay (and stop growing, the
      // energy going to unattributed), so that the sum stays whole through a pmon restart.
      const ended = (key: string) => !current.has(key) && byGpu.has(Number(key.slice(0, key.indexOf('/'))));
      for (const [key, labels] of exported) {
        if (!ended(key)) continue;
        processEnergy.remove(labels);
        exported.delete(key);
      }
      for (const key of procViews.keys()) if (ended(key)) procViews.delete(key);

      const running = status.groups.filter((g) => g.state === 'running');
      const staleGroups = running
        .filter((g) => g.gpuIndexes.some((index) => !byGpu.has(index)))
        .map((g) => g.gpuIndexes.join(','));
      up.set(running.length > 0 && staleGroups.length === 0 ? 1 : 0);
      // A child just started has had no interval yet: not a stall.
      const reported = staleGroups.filter((gpusText) => {
        const first = running.find((g) => g.gpuIndexes.join(',') === gpusText)!.gpuIndexes[0]!;
        return latestByGpu.has(first);
      });
      report = healthOf(status, reported, matched, visible);
    },

    health() {
      return report ?? healthOf(source.status(), [], 0, 0);
    },
  };
}
