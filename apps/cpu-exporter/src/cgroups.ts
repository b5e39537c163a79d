import type { CgroupSample } from '@proj/attribution';
import { silentLogger, type Logger } from '@proj/metrics-core/metrics';
import { openCgroupFs, type CgroupLayout, type ProcIo } from '@proj/proc-reader';
import { performance } from 'node:perf_hooks';

/** A pattern as the user wrote it, for /health (RegExp.source escapes each `/`); null when off. */
export const describeMatch = (re: RegExp | null): string | null => (re === null ? null : re.source.replace(/\\\//g, '/'));

/** Options for createCgroupTracker. */
export interface CgroupTrackerOptions {
  readonly cgroupRoot: string;
  /** Tested against each cgroup's path relative to its hierarchy's root (`/lab/job-42`). */
  readonly match: RegExp;
  readonly rediscoverEveryMs: number;
  readonly io?: ProcIo;
  readonly now?: () => number;
  readonly logger?: Logger;
}

/** What the tracker tells /health. */
export interface CgroupTrackerReport {
  /** Why cgroup attribution cannot work as asked (no CPU hierarchy under the root), or null. */
  readonly problem: string | null;
  readonly details: { match: string; cgroup_root: string; mode: CgroupLayout['mode'] | null; hierarchy: string | null; version: 'v1' | 'v2' | null; unreadable: number };
}

/** Keeps the list of matched cgroups and reads their usage each tick. */
export interface CgroupTracker {
  /** The matched cgroups' usage now; discovers again every rediscoverEveryMs, and at once after one vanished. */
  read(): CgroupSample[];
  report(): CgroupTrackerReport;
}

/**
 * Tracks the cgroups matching a pattern: discovery walks the CPU hierarchy (v2 `cpu.stat`, or v1 `cpuacct` on v1
 * and hybrid hosts) every `rediscoverEveryMs`, so a job's cgroup is picked up within that interval; each tick reads
 * only the matched ones. One that is gone (ENOENT) is left out from that tick and triggers a new discovery.
 */
export function createCgroupTracker(options: CgroupTrackerOptions): CgroupTracker {
  const fs = openCgroupFs(options.io === undefined ? { cgroupRoot: options.cgroupRoot } : { cgroupRoot: options.cgroupRoot, io: options.io });
  const now = options.now ?? (() => performance.now());
  const logger = options.logger ?? silentLogger;
  let layout: CgroupLayout | null = null;
  let paths: string[] = [];
  let lastDiscoveryAtMs = Number.NEGATIVE_INFINITY;
  let rediscoverNow = true;
  let unreadable = 0;

  const discover = (atMs: number): void => {
    const found = fs.discover({ match: (path) => options.match.test(path) });
    const before = new Set(paths);
    const wasMissing = layout === null || layout.cpu === null;
    layout = found.layout;
    paths = found.cgroups.map((c) => c.path);
    lastDiscoveryAtMs = atMs;
    rediscoverNow = false;
    for (const path of paths) if (!before.has(path)) logger.info('cgroup attributed', { cgroup: path });
    if (found.layout.cpu === null && (wasMissing || before.size > 0)) logger.warn('no cgroup CPU hierarchy: no cgroup attribution', { cgroup_root: options.cgroupRoot });
  };

  return {
    read() {
      const atMs = now();
      if (rediscoverNow || atMs - lastDiscoveryAtMs >= options.rediscoverEveryMs) discover(atMs);
      const hierarchy = layout?.cpu ?? null;
      if (hierarchy === null || paths.length === 0) {
        unreadable = 0;
        return [];
      }
      const { usages, failures } = fs.readUsages(hierarchy, paths);
      unreadable = 0;
      for (const failure of failures) {
        if (failure.error.reason === 'not_found') rediscoverNow = true;
        else unreadable++;
      }
      if (rediscoverNow) paths = paths.filter((path) => !failures.some((f) => f.path === path && f.error.reason === 'not_found'));
      return usages.map((u) => ({ path: u.path, usageUsec: u.usageUsec }));
    },
    report() {
      const cpu = layout?.cpu ?? null;
      const problem =
        layout !== null && cpu === null
          ? `--attribute-cgroups is set but ${options.cgroupRoot} holds no cgroup v2 cpu.stat nor v1 cpuacct hierarchy`
          : unreadable > 0
            ? `${unreadable} matched cgroups unreadable`
            : null;
      return {
        problem,
        details: {
          match: describeMatch(options.match)!,
          cgroup_root: options.cgroupRoot,
          mode: layout?.mode ?? null,
          hierarchy: cpu?.dir ?? null,
          version: cpu?.version ?? null,
          unreadable,
        },
      };
    },
  };
}
