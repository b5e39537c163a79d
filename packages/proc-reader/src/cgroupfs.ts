import { join } from 'node:path';
import { ProcError, toReadError } from './errors.js';
import { nodeProcIo, type ProcIo } from './io.js';
import { parseCgroupCpuStat, parseCpuacctUsageNs } from './cgroup-cpu.js';

/** Options for openCgroupFs. */
export interface CgroupFsOptions {
  /** Where the cgroup filesystems are mounted; `/sys/fs/cgroup` by default. */
  readonly cgroupRoot?: string;
  readonly io?: ProcIo;
}

/** The hierarchy CPU usage is read from: v2 (`cpu.stat` `usage_usec`) or v1 cpuacct (`cpuacct.usage`, ns). */
export interface CpuHierarchy {
  readonly version: 'v1' | 'v2';
  /** Absolute directory of the hierarchy's root cgroup. */
  readonly dir: string;
}

/** How cgroups are mounted under the root: unified (v2), legacy (v1), both (hybrid), or not at all. */
export interface CgroupLayout {
  readonly mode: 'v2' | 'v1' | 'hybrid' | 'none';
  /** Where CPU usage is read: on a hybrid host the v1 cpuacct hierarchy, where runtimes put their containers. */
  readonly cpu: CpuHierarchy | null;
  /** The v2 hierarchy's directory, when there is one. */
  readonly unifiedDir: string | null;
}

/** One cgroup found by discovery. */
export interface CgroupRef {
  /** Relative to the hierarchy's root, starting with `/` (`/` is the root cgroup): what a user matches against. */
  readonly path: string;
  /** Absolute directory. */
  readonly dir: string;
}

/** A directory discovery could not list (a cgroup removed mid-walk, EACCES); the others are still listed. */
export interface CgroupFailure {
  readonly path: string;
  readonly error: ProcError;
}

/** What discovery found. */
export interface CgroupDiscovery {
  readonly layout: CgroupLayout;
  readonly cgroups: CgroupRef[];
  readonly failures: CgroupFailure[];
}

/** Options for CgroupFs.discover. */
export interface DiscoverCgroupsOptions {
  /** Keep only cgroups whose relative path passes (the walk still descends into the others). */
  readonly match?: (path: string) => boolean;
  /** Deepest level walked below the root (the root is level 0); 64 by default. */
  readonly maxDepth?: number;
}

/** One cgroup's CPU usage counter. */
export interface CgroupUsage {
  readonly path: string;
  /** Total CPU time of the cgroup and its descendants, microseconds (v1's nanoseconds divided by 1000). */
  readonly usageUsec: number;
  /** v2 only; null on v1. */
  readonly userUsec: number | null;
  readonly systemUsec: number | null;
}

/** A cgroup mount read through `io`. */
export interface CgroupFs {
  readonly cgroupRoot: string;
  readonly io: ProcIo;
  /** Tells v2, v1 and hybrid apart and finds the hierarchy CPU usage is read from. */
  readLayout(): CgroupLayout;
  /** Walks the CPU hierarchy and lists its cgroups (the root included), sorted by path. */
  discover(options?: DiscoverCgroupsOptions): CgroupDiscovery;
  /** Reads one cgroup's usage (`path` relative to the hierarchy). Throws ProcError; a removed cgroup is `not_found`. */
  readUsage(hierarchy: CpuHierarchy, path: string): CgroupUsage;
  /** Reads every path's usage; one failure never stops the others. */
  readUsages(hierarchy: CpuHierarchy, paths: readonly string[]): { usages: CgroupUsage[]; failures: CgroupFailure[] };
}

/** Opens a cgroup root (like procfs's NewFS): nothing is read until a method is called. */
export function openCgroupFs(options: CgroupFsOptions = {}): CgroupFs {
  const cgroupRoot = options.cgroupRoot ?? '/sys/fs/cgroup';
  const io = options.io ?? nodeProcIo;
  const exists = (file: string): boolean => {
    try {
      io.readFile(file);
      return true;
    } catch {
      return false;
    }
  };

  const readLayout = (): CgroupLayout => {
    if (exists(join(cgroupRoot, 'cgroup.controllers'))) return { mode: 'v2', cpu: { version: 'v2', dir: cgroupRoot }, unifiedDir: cgroupRoot };
    let names: string[] = [];
    try {
      names = io.subdirectories(cgroupRoot);
    } catch {
      // No cgroup root at all: no cgroups, not an error.
    }
    // `cpuacct`, `cpu,cpuacct` or `cpuacct,cpu`; `cpu` and `cpuacct` are often symlinks to the joint mount.
    const v1 = names
      .filter((name) => name.split(',').includes('cpuacct'))
      .sort((a, b) => a.length - b.length)
      .map((name) => join(cgroupRoot, name))
      .find((dir) => exists(join(dir, 'cpuacct.usage')));
    const unified = exists(join(cgroupRoot, 'unified', 'cgroup.controllers')) ? join(cgroupRoot, 'unified') : null;
    if (v1 !== undefined) return { mode: unified === null ? 'v1' : 'hybrid', cpu: { version: 'v1', dir: v1 }, unifiedDir: unified };
    if (unified !== null) return { mode: 'hybrid', cpu: { version: 'v2', dir: unified }, unifiedDir: unified };
    return { mode: 'none', cpu: null, unifiedDir: null };
  };

  const readUsage = (hierarchy: CpuHierarchy, path: string): CgroupUsage => {
    const dir = join(hierarchy.dir, path);
    const file = join(dir, hierarchy.version === 'v2' ? 'cpu.stat' : 'cpuacct.usage');
    let text: string;
    try {
      text = io.readFile(file);
    } catch (error) {
      throw toReadError(file, error);
    }
    if (hierarchy.version === 'v1') return { path, usageUsec: parseCpuacctUsageNs(text, file) / 1000, userUsec: null, systemUsec: null };
    const stat = parseCgroupCpuStat(text, file);
    return { path, usageUsec: stat.usageUsec, userUsec: stat.userUsec, systemUsec: stat.systemUsec };
  };

  return {
    cgroupRoot,
    io,
    readLayout,
    discover(discoverOptions = {}) {
      const layout = readLayout();
      const cgroups: CgroupRef[] = [];
      const failures: CgroupFailure[] = [];
      if (layout.cpu === null) return { layout, cgroups, failures };
      const maxDepth = discoverOptions.maxDepth ?? 64;
      const match = discoverOptions.match ?? (() => true);
      const walk = (path: string, depth: number): void => {
        const dir = join(layout.cpu!.dir, path);
        if (match(path)) cgroups.push({ path, dir });
        if (depth >= maxDepth) return;
        let children: string[];
        try {
          children = io.subdirectories(dir);
        } catch (error) {
          failures.push({ path, error: toReadError(dir, error) });
          return;
        }
        for (const child of children) walk(path === '/' ? `/${child}` : `${path}/${child}`, depth + 1);
      };
      walk('/', 0);
      cgroups.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      return { layout, cgroups, failures };
    },
    readUsage,
    readUsages(hierarchy, paths) {
      const usages: CgroupUsage[] = [];
      const failures: CgroupFailure[] = [];
      for (const path of paths) {
        try {
          usages.push(readUsage(hierarchy, path));
        } catch (error) {
          failures.push({ path, error: toReadError(join(hierarchy.dir, path), error) });
        }
      }
      return { usages, failures };
    },
  };
}
