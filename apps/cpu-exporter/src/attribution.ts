import { createAttributor, type AttributionSnapshot, type CgroupSample, type ProcessSample, type ZoneEnergy } from '@proj/attribution';
import { silentLogger, type Collector, type HealthReport, type Logger, type SamplerTick } from '@proj/metrics-core/metrics';
import { createProcessScanner, openProcfs, type CpuTimes, type ProcessScanner, type ProcIo } from '@proj/proc-reader';
import { Counter, Gauge, type Registry } from 'prom-client';
import { createCgroupTracker, describeMatch, type CgroupTracker } from './cgroups.js';
import type { EnergyInterval, EnergySource } from './collector.js';
import type { TickCpuTimes } from './cpu-times.js';

/** Options for createAttributionCollector. */
export interface AttributionCollectorOptions {
  readonly registry: Registry;
  /** The best CPU energy source, sampled before this collector on the same tick (RAPL, hwmon or the estimate). */
  readonly energy: EnergySource;
  /** Where procfs is mounted: `/proc`, or the host's procfs inside a container. */
  readonly procfsRoot: string;
  /** Processes whose comm matches get `energy_process_cpu_joules_total`; null: no per-process series. */
  readonly processes: RegExp | null;
  /** Sum processes by container into `energy_container_cpu_joules_total` (reads each `/proc/<pid>/cgroup` once per life). */
  readonly containers: boolean;
  /** Where the cgroup filesystems are mounted (`/sys/fs/cgroup`). */
  readonly cgroupRoot?: string;
  /** Cgroups whose path relative to the hierarchy root matches get `energy_cgroup_cpu_joules_total`; null: none. */
  readonly cgroups?: RegExp | null;
  /** How often cgroups are discovered again (one created later, one removed); 10 s by default. */
  readonly rediscoverEveryMs?: number;
  /** Stat files kept open between ticks (cheaper re-reads); 512 by default. */
  readonly maxOpenFiles?: number;
  /** Clock ticks per second of `/proc` (USER_HZ); 100 by default, as on every Linux architecture the lab runs. */
  readonly userHz?: number;
  readonly procIo?: ProcIo;
  readonly cgroupIo?: ProcIo;
  /**
   * The tick's `/proc/stat` reading, shared with the estimate, which samples first (exporter.ts): a sample given a
   * tick takes it from here; absent, or for a sample without a tick, the collector reads the file itself.
   */
  readonly cpuTimes?: TickCpuTimes;
  /** Monotonic milliseconds, for rediscovery. */
  readonly now?: () => number;
  readonly logger?: Logger;
}

/** Splits each tick's CPU energy into active and idle and attributes the active part to processes, containers and cgroups. */
export interface AttributionCollector extends Collector {
  sample(tick?: SamplerTick): void;
  health(): HealthReport;
  close(): void;
}

type ZoneLabels = { source: string; zone: string; package?: string };
type Labels = Record<string, string>;

/** The series of one workload, per zone key, with the joules exported under them (to carry over a relabel). */
type SeriesByZone = Map<string, { labels: Labels; joules: number }>;

const zoneKeyOf = (interval: EnergyInterval): string => `${interval.source}:${interval.id}`;

const zoneLabelsOf = (interval: EnergyInterval): ZoneLabels =>
  interval.package === undefined ? { source: interval.source, zone: interval.zone } : { source: interval.source, zone: interval.zone, package: interval.package };


/**
 * Creates the attribution collector (docs/ARCHITECTURE.md, "Where a new source goes"): each tick it takes the energy
 * source's intervals, reads `/proc/stat` (or takes the tick's reading shared with the estimate) and the processes in
 * one pass (stat files held open, the pids listed again only after a process was created), the matched cgroups'
 * usage, and splits every zone's ΔE: active + idle = ΔE exactly, shares of processes and of containers never above
 * active. A process's or cgroup's series is removed when it ends; a counter never goes down while it lives.
 */
export function createAttributionCollector(options: AttributionCollectorOptions): AttributionCollector {
  const { registry, energy } = options;
  const logger = options.logger ?? silentLogger;
  const processMatch = options.processes;
  const userHz = options.userHz ?? 100;
  const procfs = openProcfs(options.procIo === undefined ? { procfsRoot: options.procfsRoot } : { procfsRoot: options.procfsRoot, io: options.procIo });
  // The index of the tick being sampled, for the shared /proc/stat reading; undefined for a sample without a tick.
  let statTick: number | undefined;
  const readCpuTimes = (): CpuTimes => (statTick !== undefined && options.cpuTimes !== undefined ? options.cpuTimes(statTick) : procfs.readCpuTimes());
  const scanProcesses = processMatch !== null || options.containers;
  const scanner: ProcessScanner | null = scanProcesses
    ? createProcessScanner({
        procfs,
        match: processMatch === null ? () => false : (comm) => processMatch.test(comm),
        containers: options.containers,
        userHz,
        maxOpenFiles: options.maxOpenFiles ?? 512,
        // Only what can get a share is read each tick: matched, contained and young processes (an exec may rename
        // those); an idle host's hundreds of others are looked at again every 30 scans. Unread processes add to no
        // share, so the shares still never exceed active.
        wantedOnly: { recheckEveryScans: 30 },
        // The root is listed only after a process or thread was created (loadavg's last pid moved), or every 10
        // scans; a host's procfs in a container (another pid namespace) is listed every scan.
        reusePidList: { listEveryScans: 10 },
        readCpuTimes,
      })
    : null;
  const cgroupTracker: CgroupTracker | null =
    options.cgroups === undefined || options.cgroups === null
      ? null
      : createCgroupTracker({
          cgroupRoot: options.cgroupRoot ?? '/sys/fs/cgroup',
          match: options.cgroups,
          rediscoverEveryMs: options.rediscoverEveryMs ?? 10_000,
          logger,
          ...(options.cgroupIo === undefined ? {} : { io: options.cgroupIo }),
          ...(options.now === undefined ? {} : { now: options.now }),
        });
  const attributor = createAttributor({ userHz });
  const registers = [registry];

  const busyRatio = new Gauge({
    name: 'energy_node_cpu_busy_ratio',
    help: 'Share of all CPUs busy over the last interval (/proc/stat: total - idle - iowait over total).',
    registers,
  });
  const activeJoules = new Counter({
    name: 'energy_node_cpu_active_joules_total',
    help: "A zone's energy times the CPUs' busy share, summed per interval; active + idle is the zone's measured energy.",
    labelNames: ['source', 'zone', 'package'],
    registers,
  });
  const idleJoules = new Counter({
    name: 'energy_node_cpu_idle_joules_total',
    help: "A zone's energy not explained by busy CPU time: the measured energy minus active.",
    labelNames: ['source', 'zone', 'package'],
    registers,
  });
  const processJoules = new Counter({
    name: 'energy_process_cpu_joules_total',
    help: 'Energy attributed to a process whose comm matches --attribute-processes: zone energy x its CPU ticks / all CPU ticks, per interval.',
    labelNames: ['source', 'zone', 'package', 'pid', 'comm', 'container_id'],
    registers,
  });
  const containerJoules = new Counter({
    name: 'energy_container_cpu_joules_total',
    help: 'Energy attributed to a container: the sum over its processes, per interval.',
    labelNames: ['source', 'zone', 'package', 'container_id', 'runtime', 'pod_uid'],
    registers,
  });
  const cgroupJoules = new Counter({
    name: 'energy_cgroup_cpu_joules_total',
    help: 'Energy attributed to a cgroup matching --attribute-cgroups by its CPU usage (it includes its descendants: never sum a cgroup with one nested in it).',
    labelNames: ['source', 'zone', 'package', 'cgroup'],
    registers,
  });

  const zoneLabels = new Map<string, ZoneLabels>();
  const processSeries = new Map<string, SeriesByZone>();
  const containerSeries = new Map<string, SeriesByZone>();
  const cgroupSeries = new Map<string, SeriesByZone>();
  let samples = 0;
  let scanError: string | null = null;
  let sourceMismatch: string | null = null;
  let processFailures = 0;

  /** Adds `joules` to a workload's series in one zone; a label change (a comm renamed) moves its total to the new series. */
  const add = (counter: Counter<string>, series: Map<string, SeriesByZone>, key: string, zoneKey: string, labels: Labels, joules: number): void => {
    let byZone = series.get(key);
    if (byZone === undefined) {
      byZone = new Map();
      series.set(key, byZone);
    }
    const known = byZone.get(zoneKey);
    if (known === undefined) {
      byZone.set(zoneKey, { labels, joules });
      counter.inc(labels, joules);
      return;
    }
    const same = Object.keys(labels).length === Object.keys(known.labels).length && Object.entries(labels).every(([k, v]) => known.labels[k] === v);
    if (!same) {
      counter.remove(known.labels);
      counter.inc(labels, known.joules + joules);
      known.labels = labels;
    } else {
      counter.inc(labels, joules);
    }
    known.joules += joules;
  };

  const end = (counter: Counter<string>, series: Map<string, SeriesByZone>, key: string): void => {
    for (const { labels } of series.get(key)?.values() ?? []) counter.remove(labels);
    series.delete(key);
  };

  return {
    sample(tick) {
      const index = tick?.index ?? samples;
      samples++;
      statTick = tick?.index;
      const produced = energy.lastIntervals();
      let intervals = produced.intervals;
      if (produced.tickIndex !== index) {
        // Placed before its producer, or the producer failed this tick: its intervals are another tick's.
        const why = `energy source is at tick ${produced.tickIndex}, attribution at ${index}`;
        if (sourceMismatch === null) logger.warn('attribution skipped a tick: energy intervals are not this tick’s', { detail: why });
        sourceMismatch = why;
        intervals = [];
      } else sourceMismatch = null;

      let snapshot: AttributionSnapshot;
      const sampleByKey = new Map<string, ProcessSample>();
      try {
        if (scanner !== null) {
          const scan = scanner.scan();
          const processes: ProcessSample[] = scan.processes;
          for (const p of processes) if (p.matched === true) sampleByKey.set(`${p.pid}:${p.starttimeTicks}`, p);
          processFailures = scan.failures.length;
          snapshot = { stat: scan.stat, uptimeTicks: scan.uptimeTicks, processes };
        } else {
          snapshot = { stat: readCpuTimes() };
        }
        if (scanError !== null) logger.info('procfs readable again', { procfs_root: options.procfsRoot });
        scanError = null;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (scanError !== message) logger.warn('cannot read procfs: attribution skips this tick', { procfs_root: options.procfsRoot, error: message });
        scanError = message;
        return;
      }
      let cgroups: CgroupSample[] = [];
      if (cgroupTracker !== null) cgroups = cgroupTracker.read();
      snapshot = { ...snapshot, cgroups };

      const zones: ZoneEnergy[] = intervals.map((interval) => {
        const key = zoneKeyOf(interval);
        zoneLabels.set(key, zoneLabelsOf(interval));
        return { zone: key, deltaJoules: interval.deltaJoules };
      });
      const step = attributor.update(snapshot, zones);
      if (step.busyRatio !== null) busyRatio.set(step.busyRatio);
      // Ended first: what ended got no share this tick, and a reused pid's new life may carry the same labels.
      for (const key of step.ended.processes) end(processJoules, processSeries, key);
      for (const id of step.ended.containers) end(containerJoules, containerSeries, id);
      for (const path of step.ended.cgroups) end(cgroupJoules, cgroupSeries, path);

      for (const zone of step.zones) {
        const labels = zoneLabels.get(zone.zone)!;
        activeJoules.inc(labels, zone.activeJoules);
        idleJoules.inc(labels, zone.idleJoules);
        for (const [key, joules] of zone.processJoules) {
          const p = sampleByKey.get(key);
          if (p === undefined) continue;
          add(processJoules, processSeries, key, zone.zone, { ...labels, pid: String(p.pid), comm: p.comm ?? '', container_id: p.containerId ?? '' }, joules);
        }
        for (const [id, joules] of zone.containerJoules) {
          const known = containerSeries.get(id)?.get(zone.zone)?.labels;
          const p = known === undefined ? snapshot.processes?.find((s) => s.containerId === id) : undefined;
          const containerLabels = known ?? { ...labels, container_id: id, runtime: p?.runtime ?? '', pod_uid: p?.podUid ?? '' };
          add(containerJoules, containerSeries, id, zone.zone, containerLabels, joules);
        }
        for (const [path, joules] of zone.cgroupJoules) add(cgroupJoules, cgroupSeries, path, zone.zone, { ...labels, cgroup: path }, joules);
      }
    },

    health() {
      const reasons: string[] = [];
      if (scanError !== null) reasons.push(`attribution cannot read ${options.procfsRoot}: ${scanError}`);
      if (sourceMismatch !== null) reasons.push(`attribution got no energy this tick: ${sourceMismatch}`);
      const cgroupReport = cgroupTracker?.report();
      if (cgroupReport?.problem) reasons.push(cgroupReport.problem);
      return {
        status: reasons.length === 0 ? 'ok' : 'degraded',
        reasons,
        details: {
          attribution: {
            procfs_root: options.procfsRoot,
            processes: { match: describeMatch(processMatch), attributed: processSeries.size, unreadable: processFailures },
            containers: { enabled: options.containers, attributed: containerSeries.size },
            cgroups: cgroupReport === undefined ? { match: null, attributed: 0 } : { ...cgroupReport.details, attributed: cgroupSeries.size },
          },
        },
      };
    },

    close() {
      scanner?.close();
    },
  };
}
