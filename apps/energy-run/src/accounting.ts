import { classifyCgroup, openCgroupFs, parseProcCgroup, parseProcessStat, type CpuHierarchy, type ProcessStat, type Procfs } from '@proj/proc-reader';
import { mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

/** How the command's CPU time was measured, best first. */
export type AccountingMethod = 'cgroup-v2' | 'cgroup-v1' | 'rusage' | 'sampling';

/** What each method means, for the report. */
export const ACCOUNTING_DESCRIPTIONS: Record<AccountingMethod, string> = {
  'cgroup-v2': 'exact: a cgroup v2 of its own (cpu.stat usage_usec), every descendant included',
  'cgroup-v1': 'exact: a cgroup v1 cpuacct of its own (cpuacct.usage), every descendant included',
  rusage: "exact for the waited-for tree: the wrapper's reaped children's times (cutime + cstime); per tick from the process tree",
  sampling: 'sampled: the process tree every interval (children that lived between two samples and were not waited for are missed)',
};

/**
 * The wrapper the command runs under (POSIX sh): it moves itself into the cgroup when given one, runs the command
 * as a child, and when it has waited for it writes the command's status and its own /proc stat line (whose cutime
 * and cstime hold the whole waited-for tree's CPU time) to the report file, then exits with the command's status
 * (128 + signal when a signal ended it, as a shell does). It catches INT, TERM, HUP and QUIT, so a signal to the
 * group reaches the command (whose handlers are back to default) and the wrapper still reports.
 */
export const WRAPPER_SCRIPT = [
  'cg=$1; report=$2; shift 2',
  'moved=0',
  'if [ -n "$cg" ]; then { echo $$ > "$cg"; } 2>/dev/null && moved=1; fi',
  "trap ':' INT TERM HUP QUIT",
  '"$@"',
  'status=$?',
  'read -r self < /proc/$$/stat',
  'printf \'%s %s\\n%s\\n\' "$status" "$moved" "$self" > "$report"',
  'exit $status',
].join('\n');

/** What the wrapper wrote when the command ended. */
export interface WrapperReport {
  /** The command's exit status as a shell gives it (128 + signal for a signal). */
  readonly status: number;
  /** Whether it moved itself into the cgroup it was given. */
  readonly movedToCgroup: boolean;
  /** Its reaped children's CPU time, clock ticks (cutime + cstime). */
  readonly childrenCpuTicks: number;
}

/** Parses the wrapper's report file; undefined when it is incomplete (the wrapper was killed). Pure. */
export function parseWrapperReport(text: string): WrapperReport | undefined {
  const [head, statLine] = text.split('\n');
  const match = /^(\d+) ([01])$/.exec(head ?? '');
  if (!match || statLine === undefined || statLine === '') return undefined;
  let stat: ProcessStat;
  try {
    stat = parseProcessStat(statLine, 'wrapper report');
  } catch {
    return undefined;
  }
  if (stat.cutimeTicks === null || stat.cstimeTicks === null) return undefined;
  return { status: Number(match[1]), movedToCgroup: match[2] === '1', childrenCpuTicks: stat.cutimeTicks + stat.cstimeTicks };
}

/** The process tree under one pid at one scan. */
export interface TreeSample {
  readonly pids: Set<number>;
  /**
   * CPU time of the tree, clock ticks: each live member's utime + stime + cutime + cstime. A process reaped by a
   * member moves into that member's cutime, so the sum does not drop when a child ends; only a process re-parented
   * out of the tree (an orphan) leaves it.
   */
  readonly cpuTicks: number;
}

/** The root and its descendants (ppid walk) among `stats`, and their CPU time. Pure. */
export function sampleTree(stats: readonly ProcessStat[], rootPid: number): TreeSample {
  const children = new Map<number, ProcessStat[]>();
  let root: ProcessStat | undefined;
  for (const stat of stats) {
    if (stat.pid === rootPid) root = stat;
    const list = children.get(stat.ppid);
    if (list) list.push(stat);
    else children.set(stat.ppid, [stat]);
  }
  const pids = new Set<number>();
  let cpuTicks = 0;
  if (root === undefined) return { pids, cpuTicks };
  const stack = [root];
  while (stack.length > 0) {
    const stat = stack.pop()!;
    if (pids.has(stat.pid)) continue;
    pids.add(stat.pid);
    cpuTicks += stat.utimeTicks + stat.stimeTicks + Math.max(0, stat.cutimeTicks ?? 0) + Math.max(0, stat.cstimeTicks ?? 0);
    for (const child of children.get(stat.pid) ?? []) stack.push(child);
  }
  return { pids, cpuTicks };
}

/** Reads every process's stat once (one /proc scan); pids that ended or cannot be read are skipped. */
export function scanProcesses(procfs: Procfs): ProcessStat[] {
  const stats: ProcessStat[] = [];
  let pids: number[];
  try {
    pids = procfs.listPids();
  } catch {
    return stats;
  }
  for (const pid of pids) {
    try {
      stats.push(procfs.readProcessStat(pid));
    } catch {
      // ended between the listing and the read, or hidden: normal
    }
  }
  return stats;
}

/**
 * The command's CPU per interval in seconds, from cumulative samples (null where a sample failed; the first is the
 * baseline before the command started) and, when known, the exact total: the last interval ends at the exact
 * total, and when the sampled intervals add up to more than it (an orphan sampled while it lived in the tree) all
 * are scaled so that they add up to it exactly. Never negative. Pure.
 */
export function cpuIntervals(cumulativeSeconds: readonly (number | null)[], exactTotalSeconds: number | null): number[] {
  const deltas: number[] = [];
  let previous = 0;
  for (let i = 1; i < cumulativeSeconds.length; i++) {
    const last = i === cumulativeSeconds.length - 1;
    const value = last && exactTotalSeconds !== null ? exactTotalSeconds : cumulativeSeconds[i];
    if (value === null || value === undefined) {
      deltas.push(0);
      continue;
    }
    deltas.push(Math.max(0, value - previous));
    previous = Math.max(previous, value);
  }
  if (exactTotalSeconds === null) return deltas;
  const sum = deltas.reduce((a, b) => a + b, 0);
  if (sum <= 0 || Math.abs(sum - exactTotalSeconds) <= 1e-12 * Math.max(1, exactTotalSeconds)) return deltas;
  const scale = exactTotalSeconds / sum;
  return deltas.map((delta) => delta * scale);
}

/** A cgroup of the command's own, made for one run. */
export interface OwnCgroup {
  readonly version: 'v1' | 'v2';
  /** Absolute directory. */
  readonly dir: string;
  /** The file the wrapper writes its pid to. */
  readonly procsFile: string;
  /** Total CPU of the cgroup and its descendants, seconds; null when it cannot be read. */
  readUsageSeconds(): number | null;
  /** Removes the directory (retrying while processes leave it); an error message when it stays. */
  remove(): Promise<string | null>;
}

/** Options for makeOwnCgroup. */
export interface OwnCgroupOptions {
  readonly cgroupRoot: string;
  readonly procfsRoot: string;
  readonly hierarchy: 'auto' | 'v2' | 'v1';
  /** Part of the directory name: `energy-run-<name>`. */
  readonly name: string;
}

/** Where this process sits in each hierarchy (its own cgroup, so the new one stays under the same limits). */
function ownPaths(procfsRoot: string): { unified: string | null; cpuacct: string | null } {
  const file = join(procfsRoot, 'self', 'cgroup');
  try {
    const own = classifyCgroup(parseProcCgroup(readFileSync(file, 'utf8'), file));
    return { unified: own.unifiedPath, cpuacct: own.cpuacctPath };
  } catch {
    return { unified: null, cpuacct: null };
  }
}

/**
 * Makes a cgroup of its own for the command, nested under the one this process runs in (so the limits it has hold
 * for the command too): on cgroup v2 where it can (cpu.stat's usage_usec needs no controller), else on the v1 cpuacct
 * hierarchy. Returns the cgroup, or the reasons each hierarchy could not be used.
 */
export function makeOwnCgroup(options: OwnCgroupOptions): { cgroup: OwnCgroup } | { reasons: string[] } {
  const cgroupfs = openCgroupFs({ cgroupRoot: options.cgroupRoot });
  const layout = cgroupfs.readLayout();
  const own = ownPaths(options.procfsRoot);
  const reasons: string[] = [];
  const candidates: CpuHierarchy[] = [];
  if (options.hierarchy !== 'v1') {
    if (layout.unifiedDir !== null) candidates.push({ version: 'v2', dir: layout.unifiedDir });
    else reasons.push(`no cgroup v2 hierarchy under ${options.cgroupRoot}`);
  }
  if (options.hierarchy !== 'v2') {
    if (layout.cpu?.version === 'v1') candidates.push(layout.cpu);
    else reasons.push(`no cgroup v1 cpuacct hierarchy under ${options.cgroupRoot}`);
  }
  for (const hierarchy of candidates) {
    const parent = (hierarchy.version === 'v2' ? own.unified : own.cpuacct) ?? '/';
    const path = join(parent, `energy-run-${options.name}`);
    const dir = join(hierarchy.dir, path);
    try {
      mkdirSync(dir);
    } catch (error) {
      reasons.push(`cannot make a cgroup ${hierarchy.version} at ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      continue;
    }
    const readUsageSeconds = (): number | null => {
      try {
        return cgroupfs.readUsage(hierarchy, path).usageUsec / 1e6;
      } catch {
        return null;
      }
    };
    if (readUsageSeconds() === null) {
      reasons.push(`a cgroup ${hierarchy.version} at ${dir} has no CPU usage to read`);
      try {
        rmdirSync(dir);
      } catch {
        // left for the report below to mention if it matters; an empty cgroup costs nothing
      }
      continue;
    }
    return {
      cgroup: {
        version: hierarchy.version,
        dir,
        procsFile: join(dir, 'cgroup.procs'),
        readUsageSeconds,
        async remove() {
          // Processes the command left behind are killed with its group; give the kernel a moment to empty it.
          for (let attempt = 0; ; attempt++) {
            try {
              rmdirSync(dir);
              return null;
            } catch (error) {
              const code = (error as NodeJS.ErrnoException).code;
              if (code === 'ENOENT') return null;
              if (code !== 'EBUSY' || attempt >= 20) return `cannot remove ${dir}: ${code ?? (error as Error).message}`;
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          }
        },
      },
    };
  }
  return { reasons };
}
