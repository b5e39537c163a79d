import { shareJoules, splitEnergy, usecToTicks } from './split.js';

/** The host's CPU counters at one snapshot (`/proc/stat`'s aggregate line), clock ticks. */
export interface CpuSample {
  readonly busyTicks: number;
  readonly totalTicks: number;
}

/** One process at one snapshot; @proj/proc-reader's ProcessTimes fits as is. */
export interface ProcessSample {
  readonly pid: number;
  /** With the pid, names one process life: the same pid with another starttime is a new process. */
  readonly starttimeTicks: number;
  /** utime + stime, clock ticks. */
  readonly cpuTicks: number;
  readonly comm?: string;
  readonly containerId?: string | null;
  readonly runtime?: string | null;
  readonly podUid?: string | null;
  /** Whether it gets a per-process share (the comm filter); true when absent. Containers count every process. */
  readonly matched?: boolean;
}

/** One cgroup's usage at one snapshot. */
export interface CgroupSample {
  /** Relative to its hierarchy's root: the key of its series. */
  readonly path: string;
  /** Microseconds (cgroup v2 usage_usec, or v1 cpuacct.usage / 1000). */
  readonly usageUsec: number;
  /** The caller knows it was created after the previous snapshot (it made it): its whole usage counts, not a baseline. */
  readonly createdSincePrevious?: boolean;
}

/** What one tick read: host counters, processes, cgroups. */
export interface AttributionSnapshot {
  readonly stat: CpuSample;
  /** Time since boot in clock ticks, read before the processes: tells a process born since the last snapshot. */
  readonly uptimeTicks?: number | null;
  readonly processes?: readonly ProcessSample[];
  readonly cgroups?: readonly CgroupSample[];
}

/** One zone's energy since the previous snapshot; null when it could not be measured (unreadable, counter reset). */
export interface ZoneEnergy {
  readonly zone: string;
  readonly deltaJoules: number | null;
}

/** Options for createAttributor. */
export interface AttributorOptions {
  /** Clock ticks per second (USER_HZ, `getconf CLK_TCK`), to turn cgroup microseconds into ticks; 100 by default. */
  readonly userHz?: number;
}

/** A tracked process and its cumulative energy per zone. */
export interface ProcessEnergy {
  readonly pid: number;
  readonly starttimeTicks: number;
  readonly comm: string;
  readonly containerId: string | null;
  /** Joules since it was first seen, by zone; never decreases. */
  readonly joulesByZone: ReadonlyMap<string, number>;
}

/** A container (the sum of its processes) and its cumulative energy per zone. */
export interface ContainerEnergy {
  readonly containerId: string;
  readonly runtime: string | null;
  readonly podUid: string | null;
  readonly joulesByZone: ReadonlyMap<string, number>;
}

/** A cgroup and its cumulative energy per zone. Nested cgroups each hold their own: never sum one with its descendants. */
export interface CgroupEnergy {
  readonly path: string;
  readonly joulesByZone: ReadonlyMap<string, number>;
}

/** A zone's cumulative active and idle energy; active + idle is every ΔE fed. */
export interface NodeEnergy {
  readonly zone: string;
  readonly activeJoules: number;
  readonly idleJoules: number;
}

/** One zone over the last interval. */
export interface ZoneStep {
  readonly zone: string;
  readonly deltaJoules: number;
  readonly activeJoules: number;
  readonly idleJoules: number;
  /** Joules of this interval by process key (`pid:starttime`), container id and cgroup path. */
  readonly processJoules: ReadonlyMap<string, number>;
  readonly containerJoules: ReadonlyMap<string, number>;
  readonly cgroupJoules: ReadonlyMap<string, number>;
}

/** What one update did. */
export interface AttributionStep {
  /** True for the first snapshot: a baseline, all its energy idle. */
  readonly baseline: boolean;
  readonly deltaBusyTicks: number;
  readonly deltaTotalTicks: number;
  /** Δbusy / Δtotal; null on the baseline and when the counters did not move. */
  readonly busyRatio: number | null;
  /** Zones with a ΔE this tick (zones given null are left out). */
  readonly zones: ZoneStep[];
  /** Series that stop: process keys, container ids, cgroup paths that were tracked and are gone. */
  readonly ended: { readonly processes: string[]; readonly containers: string[]; readonly cgroups: string[] };
}

/** The cumulative state: what a `/metrics` render reads. */
export interface AttributionTotals {
  readonly nodes: NodeEnergy[];
  readonly processes: ProcessEnergy[];
  readonly containers: ContainerEnergy[];
  readonly cgroups: CgroupEnergy[];
}

/** Attributes each tick's zone energy to processes, containers and cgroups over successive snapshots. */
export interface Attributor {
  /** Feeds the next snapshot and each zone's energy since the previous one. */
  update(snapshot: AttributionSnapshot, zones: readonly ZoneEnergy[]): AttributionStep;
  /** Cumulative joules of the workloads alive at the last update, and of every zone. */
  totals(): AttributionTotals;
}

/** The key of one process life: `pid:starttime`. */
export function processKey(pid: number, starttimeTicks: number): string {
  return `${pid}:${starttimeTicks}`;
}

interface ProcessState {
  pid: number;
  starttimeTicks: number;
  comm: string;
  containerId: string | null;
  matched: boolean;
  cpuTicks: number;
  joulesByZone: Map<string, number>;
}

interface ContainerState {
  containerId: string;
  runtime: string | null;
  podUid: string | null;
  joulesByZone: Map<string, number>;
}

interface CgroupState {
  path: string;
  usageUsec: number;
  joulesByZone: Map<string, number>;
}

function add(map: Map<string, number>, key: string, joules: number): void {
  map.set(key, (map.get(key) ?? 0) + joules);
}

/**
 * Builds an attributor. Per tick and zone: active = ΔE x Δbusy/Δtotal, idle = ΔE - active, and each workload's share
 * = ΔE x Δcpu/Δtotal, scaled down together when skew makes the processes' ticks exceed Δbusy. A process first seen
 * with a starttime after the previous snapshot's uptime counts its whole CPU time in its first interval; one already
 * running at first sight (or seen without uptimes) is a baseline. A process that vanished is dropped: what it used
 * since the last snapshot stays inside active. A container is the sum of its processes; a new cgroup is a baseline
 * unless marked `createdSincePrevious`; a cgroup whose usage went down was recreated and starts a new baseline.
 */
export function createAttributor(options: AttributorOptions = {}): Attributor {
  const userHz = options.userHz ?? 100;
  let previous: { stat: CpuSample; uptimeTicks: number | null } | null = null;
  let processes = new Map<string, ProcessState>();
  let containers = new Map<string, ContainerState>();
  let cgroups = new Map<string, CgroupState>();
  const nodes = new Map<string, { activeJoules: number; idleJoules: number }>();

  const update = (snapshot: AttributionSnapshot, zones: readonly ZoneEnergy[]): AttributionStep => {
    const baseline = previous === null;
    const deltaBusyTicks = baseline ? 0 : snapshot.stat.busyTicks - previous!.stat.busyTicks;
    const deltaTotalTicks = baseline ? 0 : snapshot.stat.totalTicks - previous!.stat.totalTicks;
    const previousUptime = previous?.uptimeTicks ?? null;
    const uptimeTicks = snapshot.uptimeTicks ?? null;

    // Processes: Δcpu of each life seen now.
    const nextProcesses = new Map<string, ProcessState>();
    const processDeltas = new Map<string, number>();
    const containerDeltas = new Map<string, number>();
    const nextContainers = new Map<string, ContainerState>();
    let sumProcessTicks = 0;
    for (const sample of snapshot.processes ?? []) {
      const key = processKey(sample.pid, sample.starttimeTicks);
      // A process listed twice in one snapshot counts once.
      if (nextProcesses.has(key)) continue;
      const known = processes.get(key);
      let delta: number;
      if (known !== undefined) delta = Math.max(0, sample.cpuTicks - known.cpuTicks);
      else if (!baseline && previousUptime !== null && uptimeTicks !== null && sample.starttimeTicks >= previousUptime) delta = Math.max(0, sample.cpuTicks);
      else delta = 0;
      const state: ProcessState = known ?? {
        pid: sample.pid,
        starttimeTicks: sample.starttimeTicks,
        comm: sample.comm ?? '',
        containerId: sample.containerId ?? null,
        matched: sample.matched ?? true,
        cpuTicks: 0,
        joulesByZone: new Map(),
      };
      state.cpuTicks = sample.cpuTicks;
      state.comm = sample.comm ?? state.comm;
      state.matched = sample.matched ?? true;
      state.containerId = sample.containerId ?? null;
      nextProcesses.set(key, state);
      sumProcessTicks += delta;
      if (state.matched) processDeltas.set(key, delta);
      if (state.containerId !== null) {
        containerDeltas.set(state.containerId, (containerDeltas.get(state.containerId) ?? 0) + delta);
        if (!nextContainers.has(state.containerId)) {
          const container = containers.get(state.containerId) ?? { containerId: state.containerId, runtime: null, podUid: null, joulesByZone: new Map() };
          container.runtime = sample.runtime ?? container.runtime;
          container.podUid = sample.podUid ?? container.podUid;
          nextContainers.set(state.containerId, container);
        }
      }
    }
    // Tracked processes that were not seen again end here (their key is in neither map).
    const endedProcesses = [...processes.entries()].filter(([key, state]) => state.matched && !nextProcesses.get(key)?.matched).map(([key]) => key);
    const endedContainers = [...containers.keys()].filter((id) => !nextContainers.has(id));

    // Cgroups: Δusage in ticks; each alone against Δbusy, since cgroups nest.
    const nextCgroups = new Map<string, CgroupState>();
    const cgroupDeltas = new Map<string, number>();
    for (const sample of snapshot.cgroups ?? []) {
      if (nextCgroups.has(sample.path)) continue;
      const known = cgroups.get(sample.path);
      let deltaUsec: number;
      if (known !== undefined) deltaUsec = sample.usageUsec >= known.usageUsec ? sample.usageUsec - known.usageUsec : 0;
      else deltaUsec = !baseline && sample.createdSincePrevious === true ? Math.max(0, sample.usageUsec) : 0;
      const state = known ?? { path: sample.path, usageUsec: 0, joulesByZone: new Map<string, number>() };
      state.usageUsec = sample.usageUsec;
      nextCgroups.set(sample.path, state);
      cgroupDeltas.set(sample.path, usecToTicks(deltaUsec, userHz));
    }
    const endedCgroups = [...cgroups.keys()].filter((path) => !nextCgroups.has(path));

    const zoneSteps: ZoneStep[] = [];
    for (const { zone, deltaJoules } of zones) {
      if (deltaJoules === null) continue;
      const split = splitEnergy(deltaJoules, deltaBusyTicks, deltaTotalTicks);
      const node = nodes.get(zone) ?? { activeJoules: 0, idleJoules: 0 };
      node.activeJoules += split.activeJoules;
      node.idleJoules += split.idleJoules;
      nodes.set(zone, node);
      const processJoules = new Map<string, number>();
      for (const [key, delta] of processDeltas) {
        const joules = shareJoules(split, delta, sumProcessTicks);
        processJoules.set(key, joules);
        add(nextProcesses.get(key)!.joulesByZone, zone, joules);
      }
      const containerJoules = new Map<string, number>();
      for (const [id, delta] of containerDeltas) {
        const joules = shareJoules(split, delta, sumProcessTicks);
        containerJoules.set(id, joules);
        add(nextContainers.get(id)!.joulesByZone, zone, joules);
      }
      const cgroupJoules = new Map<string, number>();
      for (const [path, delta] of cgroupDeltas) {
        const joules = shareJoules(split, delta);
        cgroupJoules.set(path, joules);
        add(nextCgroups.get(path)!.joulesByZone, zone, joules);
      }
      zoneSteps.push({ zone, deltaJoules, activeJoules: split.activeJoules, idleJoules: split.idleJoules, processJoules, containerJoules, cgroupJoules });
    }

    processes = nextProcesses;
    containers = nextContainers;
    cgroups = nextCgroups;
    previous = { stat: snapshot.stat, uptimeTicks };
    const moved = !baseline && deltaTotalTicks > 0;
    return {
      baseline,
      deltaBusyTicks,
      deltaTotalTicks,
      busyRatio: moved ? Math.min(1, Math.max(0, deltaBusyTicks / deltaTotalTicks)) : null,
      zones: zoneSteps,
      ended: { processes: endedProcesses, containers: endedContainers, cgroups: endedCgroups },
    };
  };

  return {
    update,
    totals() {
      return {
        nodes: [...nodes].map(([zone, node]) => ({ zone, activeJoules: node.activeJoules, idleJoules: node.idleJoules })),
        processes: [...processes.values()]
          .filter((state) => state.matched)
          .map((state) => ({ pid: state.pid, starttimeTicks: state.starttimeTicks, comm: state.comm, containerId: state.containerId, joulesByZone: new Map(state.joulesByZone) })),
        containers: [...containers.values()].map((state) => ({ containerId: state.containerId, runtime: state.runtime, podUid: state.podUid, joulesByZone: new Map(state.joulesByZone) })),
        cgroups: [...cgroups.values()].map((state) => ({ path: state.path, joulesByZone: new Map(state.joulesByZone) })),
      };
    },
  };
}
