import { join } from 'node:path';
import type { CgroupClassification, ContainerRuntime } from './cgroup.js';
import { ProcError, toReadError } from './errors.js';
import type { Procfs } from './procfs.js';
import { parseProcessStat, type CpuTimes } from './stat.js';

/** Options for createProcessScanner. */
export interface ProcessScannerOptions {
  readonly procfs: Procfs;
  /** Which processes the caller wants series for, by comm; `matched` is false for the others. All match by default. */
  readonly match?: (comm: string) => boolean;
  /** Read `/proc/<pid>/cgroup` (once per process life) to tell each process's container; true by default. */
  readonly containers?: boolean;
  /** Clock ticks per second (USER_HZ), to express `/proc/uptime` in the unit of `starttime`; 100 by default. */
  readonly userHz?: number;
}

/** One process's CPU times at one scan. */
export interface ProcessTimes {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  readonly state: string;
  /** With the pid, names one process life: a reused pid has another starttime. */
  readonly starttimeTicks: number;
  readonly utimeTicks: number;
  readonly stimeTicks: number;
  /** utime + stime: the process's own CPU time, all threads, clock ticks. */
  readonly cpuTicks: number;
  readonly containerId: string | null;
  readonly runtime: ContainerRuntime | null;
  readonly podUid: string | null;
  /** Whether `match` accepted the comm. */
  readonly matched: boolean;
}

/** A process whose files could not be read or parsed this scan (EACCES under hidepid, a malformed line). */
export interface ProcessFailure {
  readonly pid: number;
  readonly error: ProcError;
}

/** One pass over procfs: `/proc/uptime`, `/proc/stat`, then every process's stat. */
export interface ProcessScan {
  readonly stat: CpuTimes;
  /** Time since boot in clock ticks, taken before the pid list: a process with a later starttime was born after it. */
  readonly uptimeTicks: number | null;
  readonly processes: ProcessTimes[];
  /** Pids listed that ended before their stat was read: normal, not failures. */
  readonly vanished: number[];
  readonly failures: ProcessFailure[];
}

/** Scans processes once per tick. */
export interface ProcessScanner {
  /** Reads the host CPU times and every process's times. Throws a ProcError only when `/proc/stat` or the pid list cannot be read. */
  scan(): ProcessScan;
  /** Processes whose classification is cached (one entry per live process life seen). */
  readonly cachedProcesses: number;
}

interface CacheEntry {
  starttimeTicks: number;
  comm: string;
  matched: boolean;
  classification: CgroupClassification;
  seen: number;
}

const NO_CONTAINER: CgroupClassification = { containerId: null, runtime: null, podUid: null };

/**
 * Builds a scanner that is cheap at a 1 s cadence with hundreds of processes: each pid's stat is read into one
 * reused buffer, `/proc/<pid>/cgroup` is read once per process life (pid and starttime) and cached, cmdline is
 * never read, and the cache forgets pids that are gone.
 */
export function createProcessScanner(options: ProcessScannerOptions): ProcessScanner {
  const { procfs } = options;
  const match = options.match ?? (() => true);
  const containers = options.containers ?? true;
  const userHz = options.userHz ?? 100;
  // A stat line is about 300 bytes (52 fields and a 15-byte comm); 4 KiB leaves room for any kernel's.
  const buffer = Buffer.allocUnsafe(4096);
  const cache = new Map<number, CacheEntry>();
  let generation = 0;

  const scan = (): ProcessScan => {
    generation++;
    let uptimeTicks: number | null = null;
    try {
      uptimeTicks = Math.round(procfs.readUptimeSeconds() * userHz);
    } catch {
      // Without /proc/uptime births are judged from the previous scan's pid list alone.
    }
    const stat = procfs.readCpuTimes();
    const pids = procfs.listPids();
    const processes: ProcessTimes[] = [];
    const vanished: number[] = [];
    const failures: ProcessFailure[] = [];
    for (const pid of pids) {
      const file = join(procfs.procfsRoot, String(pid), 'stat');
      let parsed;
      try {
        const length = procfs.io.readInto(file, buffer);
        parsed = parseProcessStat(buffer.toString('utf8', 0, length), file);
      } catch (error) {
        const problem = toReadError(file, error);
        if (problem.reason === 'not_found') vanished.push(pid);
        else failures.push({ pid, error: problem });
        continue;
      }
      let entry = cache.get(pid);
      if (entry === undefined || entry.starttimeTicks !== parsed.starttimeTicks) {
        let classification = NO_CONTAINER;
        if (containers) {
          try {
            classification = procfs.readProcessCgroup(pid);
          } catch (error) {
            const problem = toReadError(join(procfs.procfsRoot, String(pid), 'cgroup'), error);
            if (problem.reason === 'not_found') {
              vanished.push(pid);
              continue;
            }
            // Cached as no container, so an unreadable file costs one read per process life, not one per tick.
            failures.push({ pid, error: problem });
          }
        }
        entry = { starttimeTicks: parsed.starttimeTicks, comm: parsed.comm, matched: match(parsed.comm), classification, seen: generation };
        cache.set(pid, entry);
      } else if (entry.comm !== parsed.comm) {
        // exec() or prctl(PR_SET_NAME) renamed it: `sh -c 'exec ffmpeg ...'` becomes ffmpeg with the same starttime.
        entry.comm = parsed.comm;
        entry.matched = match(parsed.comm);
      }
      entry.seen = generation;
      processes.push({
        pid,
        ppid: parsed.ppid,
        comm: parsed.comm,
        state: parsed.state,
        starttimeTicks: parsed.starttimeTicks,
        utimeTicks: parsed.utimeTicks,
        stimeTicks: parsed.stimeTicks,
        cpuTicks: parsed.utimeTicks + parsed.stimeTicks,
        containerId: entry.classification.containerId,
        runtime: entry.classification.runtime,
        podUid: entry.classification.podUid,
        matched: entry.matched,
      });
    }
    for (const [pid, entry] of cache) if (entry.seen !== generation) cache.delete(pid);
    return { stat, uptimeTicks, processes, vanished, failures };
  };

  return {
    scan,
    get cachedProcesses() {
      return cache.size;
    },
  };
}
