import type { CgroupClassification, ContainerRuntime } from './cgroup.js';
import { ProcError, toReadError } from './errors.js';
import type { Procfs } from './procfs.js';
import { parseLoadavg, parseNsPids, parseProcessStat, type CpuTimes } from './stat.js';

/** Options for createProcessScanner. */
export interface ProcessScannerOptions {
  readonly procfs: Procfs;
  /** Which processes the caller wants series for, by comm; `matched` is false for the others. All match by default. */
  readonly match?: (comm: string) => boolean;
  /** Read `/proc/<pid>/cgroup` (once per process life) to tell each process's container; true by default. */
  readonly containers?: boolean;
  /** Clock ticks per second (USER_HZ), to express `/proc/uptime` in the unit of `starttime`; 100 by default. */
  readonly userHz?: number;
  /**
   * Keep up to this many `/proc/<pid>/stat` files open between scans and re-read them at offset 0, which spares the
   * open and close (the larger part of the cost) of each process every scan. 0 (the default) opens each file every
   * scan. Each one is a file descriptor held while its process lives: stay well under `ulimit -n`, and call `close()`
   * when done. Needs an io with openFile/readAt/closeFile.
   */
  readonly maxOpenFiles?: number;
  /**
   * List only the processes a caller attributes: matched ones, ones in a container (with `containers`), and young
   * ones (started less than `youngSeconds` ago, 5 by default), which an exec may still rename into a match. Any
   * other process is read once per life and then only every `recheckEveryScans` scans (staggered by pid), to see a
   * later rename or a reused pid; its times are not listed. On a host with hundreds of idle processes this cuts a
   * scan to the pid listing and the processes that matter. Off by default: every process is read and listed.
   */
  readonly wantedOnly?: { readonly recheckEveryScans: number; readonly youngSeconds?: number };
  /**
   * Lists the pids (a readdir of the root) only when a process or thread was created since the previous scan, and
   * otherwise scans the previous list again. `/proc/loadavg`'s last field, the most recently allocated pid, moves on
   * every fork and thread creation; it is read before the listing, and a scan whose reading equals the previous
   * scan's reuses the list. A process that ended meanwhile is still seen (its stat read fails: `vanished`) and leaves
   * the list. The root is listed anyway every `listEveryScans` scans (10 by default), on the scan after one that saw
   * the last pid move (a pid allocated just before a reading may not be visible yet to the listing right after it),
   * and on every scan while loadavg cannot be read or parsed. loadavg counts in the pid namespace of the process that
   * reads it, not of the mount, so the list is reused only when `<procfsRoot>/self/status` has an `NSpid:` line with
   * one pid (the mount is our namespace's; read once, at the first scan); otherwise every scan lists, as without the
   * option. Off by default.
   */
  readonly reusePidList?: { readonly listEveryScans?: number };
  /**
   * Where a scan takes `/proc/stat` from: `procfs.readCpuTimes` by default. A caller that has read it already for the
   * same moment (one tick's reading shared by several readers) hands it on here; what it throws, scan() throws.
   */
  readonly readCpuTimes?: () => CpuTimes;
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

/** One pass over procfs: `/proc/uptime`, `/proc/stat`, the pid list (or, with reusePidList, the previous one), then every process's stat. */
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
  /**
   * Reads the host CPU times and every process's times. Throws a ProcError only when `/proc/stat` or the pid list
   * cannot be read (or what `readCpuTimes` throws).
   */
  scan(): ProcessScan;
  /** Processes whose classification is cached (one entry per live process life seen). */
  readonly cachedProcesses: number;
  /** Stat files held open (see maxOpenFiles). */
  readonly openFiles: number;
  /** Closes the files held open; the scanner can still scan, reopening as it goes. */
  close(): void;
}

interface CacheEntry {
  starttimeTicks: number;
  comm: string;
  matched: boolean;
  classification: CgroupClassification;
  seen: number;
  /** The stat file held open, or null. */
  fd: number | null;
  /** With wantedOnly: neither matched nor in a container nor young at its last read, so not read every scan. */
  skipped: boolean;
}

const NO_CONTAINER: CgroupClassification = { containerId: null, runtime: null, podUid: null };

/**
 * Builds a scanner that is cheap at a 1 s cadence with hundreds of processes: each pid's stat is read into one
 * reused buffer, `/proc/<pid>/cgroup` is read once per process life (pid and starttime) and cached, cmdline is
 * never read, and the cache forgets pids that are gone. With reusePidList the root is listed only after a pid was
 * allocated (or every few scans), not every scan.
 */
export function createProcessScanner(options: ProcessScannerOptions): ProcessScanner {
  const { procfs } = options;
  const match = options.match ?? (() => true);
  const containers = options.containers ?? true;
  const userHz = options.userHz ?? 100;
  const io = procfs.io;
  const maxOpenFiles = io.openFile && io.readAt && io.closeFile ? Math.max(0, options.maxOpenFiles ?? 0) : 0;
  let openFiles = 0;
  // Concatenation, not path.join, in the per-process loop: the root is normalised once.
  const root = procfs.procfsRoot.endsWith('/') ? procfs.procfsRoot : `${procfs.procfsRoot}/`;
  const closeFd = (entry: CacheEntry): void => {
    if (entry.fd === null) return;
    try {
      io.closeFile!(entry.fd);
    } catch {
      // Nothing to do about a close that failed; the descriptor is gone either way.
    }
    entry.fd = null;
    openFiles--;
  };
  // A stat line is about 300 bytes (52 fields and a 15-byte comm); 4 KiB leaves room for any kernel's.
  const buffer = Buffer.allocUnsafe(4096);
  const cache = new Map<number, CacheEntry>();
  let generation = 0;
  const wantedOnly = options.wantedOnly;
  const recheckEveryScans = Math.max(1, Math.floor(wantedOnly?.recheckEveryScans ?? 1));
  const youngTicks = (wantedOnly?.youngSeconds ?? 5) * userHz;
  const readCpuTimes = options.readCpuTimes ?? (() => procfs.readCpuTimes());

  // reusePidList: the list the last listing made (less the pids found gone since), loadavg's last pid at the previous
  // scan, whether the list was made with the last pid unchanged since the scan before it (then every pid allocated up
  // to that reading was allocated before the previous scan, long enough before the listing to be in it), and scans
  // since it was made.
  const reuse = options.reusePidList;
  const listEveryScans = Math.max(1, Math.floor(reuse?.listEveryScans ?? 10));
  let ownPidNamespace: boolean | undefined;
  let kept: number[] | null = null;
  let previousLastPid: number | null = null;
  let keptSettled = false;
  let scansSinceListing = 0;

  /** Whether the mount is in our pid namespace: `self/status` has exactly one NSpid. Decided once; false if unreadable. */
  const mountIsOurPidNamespace = (): boolean => {
    try {
      return parseNsPids(io.readFile(`${root}self/status`), `${root}self/status`)?.length === 1;
    } catch {
      return false;
    }
  };

  /** loadavg's last pid, or null when it cannot be read or parsed (then the scan lists). */
  const readLastPid = (): number | null => {
    const file = `${root}loadavg`;
    try {
      const length = io.readInto(file, buffer);
      return parseLoadavg(buffer.toString('latin1', 0, length), file).lastPid;
    } catch {
      return null;
    }
  };

  const pidsToScan = (): number[] => {
    if (reuse === undefined) return procfs.listPids();
    ownPidNamespace ??= mountIsOurPidNamespace();
    const lastPid = ownPidNamespace ? readLastPid() : null;
    const unchanged = lastPid !== null && lastPid === previousLastPid;
    previousLastPid = lastPid;
    if (unchanged && kept !== null && keptSettled && scansSinceListing + 1 < listEveryScans) {
      scansSinceListing++;
      return kept;
    }
    kept = null;
    const pids = procfs.listPids();
    kept = pids;
    keptSettled = unchanged;
    scansSinceListing = 0;
    return pids;
  };

  const scan = (): ProcessScan => {
    generation++;
    let uptimeTicks: number | null = null;
    try {
      uptimeTicks = Math.round(procfs.readUptimeSeconds() * userHz);
    } catch {
      // Without /proc/uptime births are judged from the previous scan's pid list alone.
    }
    const stat = readCpuTimes();
    const pids = pidsToScan();
    const processes: ProcessTimes[] = [];
    const vanished: number[] = [];
    const failures: ProcessFailure[] = [];
    for (const pid of pids) {
      let entry = cache.get(pid);
      if (entry !== undefined && entry.skipped && (generation + pid) % recheckEveryScans !== 0) {
        entry.seen = generation;
        continue;
      }
      const file = `${root}${pid}/stat`;
      let length = -1;
      if (entry !== undefined && entry.fd !== null) {
        try {
          length = io.readAt!(entry.fd, buffer);
        } catch {
          // The process behind the descriptor ended (ESRCH); the pid listed now may be another: read by path.
          closeFd(entry);
        }
      }
      let parsed;
      try {
        if (length < 0) length = io.readInto(file, buffer);
        parsed = parseProcessStat(buffer.toString('utf8', 0, length), file);
      } catch (error) {
        const problem = toReadError(file, error);
        if (problem.reason === 'not_found') vanished.push(pid);
        else failures.push({ pid, error: problem });
        continue;
      }
      if (entry === undefined || entry.starttimeTicks !== parsed.starttimeTicks) {
        if (entry !== undefined) closeFd(entry);
        let classification = NO_CONTAINER;
        if (containers) {
          try {
            classification = procfs.readProcessCgroup(pid);
          } catch (error) {
            const problem = toReadError(`${root}${pid}/cgroup`, error);
            if (problem.reason === 'not_found') {
              vanished.push(pid);
              continue;
            }
            // Cached as no container, so an unreadable file costs one read per process life, not one per tick.
            failures.push({ pid, error: problem });
          }
        }
        entry = { starttimeTicks: parsed.starttimeTicks, comm: parsed.comm, matched: match(parsed.comm), classification, seen: generation, fd: null, skipped: false };
        cache.set(pid, entry);
      } else if (entry.comm !== parsed.comm) {
        // exec() or prctl(PR_SET_NAME) renamed it: `sh -c 'exec ffmpeg ...'` becomes ffmpeg with the same starttime.
        entry.comm = parsed.comm;
        entry.matched = match(parsed.comm);
      }
      entry.seen = generation;
      if (wantedOnly !== undefined) {
        const young = uptimeTicks === null || uptimeTicks - parsed.starttimeTicks < youngTicks;
        entry.skipped = !entry.matched && entry.classification.containerId === null && !young;
        if (entry.skipped) {
          closeFd(entry);
          continue;
        }
      }
      if (entry.fd === null && openFiles < maxOpenFiles) {
        try {
          // Opened after the read: if the pid was reused in between, the next read shows another starttime.
          entry.fd = io.openFile!(file);
          openFiles++;
        } catch {
          // Ended meanwhile, or out of descriptors: read by path next time.
        }
      }
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
    if (kept !== null && vanished.length > 0) {
      const gone = new Set(vanished);
      kept = kept.filter((pid) => !gone.has(pid));
    }
    for (const [pid, entry] of cache) {
      if (entry.seen === generation) continue;
      closeFd(entry);
      cache.delete(pid);
    }
    return { stat, uptimeTicks, processes, vanished, failures };
  };

  return {
    scan,
    get cachedProcesses() {
      return cache.size;
    },
    get openFiles() {
      return openFiles;
    },
    close() {
      for (const entry of cache.values()) closeFd(entry);
    },
  };
}
