import { join } from 'node:path';
import { toReadError } from './errors.js';
import { nodeProcIo, type ProcIo } from './io.js';
import { classifyCgroup, parseProcCgroup, type ProcessCgroup } from './cgroup.js';
import { parseCpuTimes, parseProcessStat, parseUptimeSeconds, type CpuTimes, type ProcessStat } from './stat.js';

/** Options for openProcfs. */
export interface ProcfsOptions {
  /** Where procfs is mounted; `/proc` by default (a host's procfs mounted into a container: `/host/proc`). */
  readonly procfsRoot?: string;
  readonly io?: ProcIo;
}

/**
 * A procfs mount, read through `io`. Each `readX` reads one file and throws a ProcError (`ProcReadError` with the
 * errno code, `ProcParseError` with the value); a pid that ended is a `ProcReadError` with reason `not_found`.
 */
export interface Procfs {
  readonly procfsRoot: string;
  readonly io: ProcIo;
  /** `/proc/stat`'s aggregate cpu line and the CPU count. */
  readCpuTimes(): CpuTimes;
  /** `/proc/uptime`'s first number: seconds since boot. */
  readUptimeSeconds(): number;
  /** The numeric entries of the root: the process ids (threads are not listed). */
  listPids(): number[];
  /** `/proc/<pid>/stat`. */
  readProcessStat(pid: number): ProcessStat;
  /** `/proc/<pid>/cgroup`, parsed and classified. */
  readProcessCgroup(pid: number): ProcessCgroup;
  /** `/proc/<pid>/task/<tid>/stat`: one thread's times. */
  readThreadStat(pid: number, tid: number): ProcessStat;
}

/** Opens a procfs root (like procfs's NewFS): no file is read until a method is called. */
export function openProcfs(options: ProcfsOptions = {}): Procfs {
  const procfsRoot = options.procfsRoot ?? '/proc';
  const io = options.io ?? nodeProcIo;
  const read = (path: string): string => {
    try {
      return io.readFile(path);
    } catch (error) {
      throw toReadError(path, error);
    }
  };
  return {
    procfsRoot,
    io,
    readCpuTimes() {
      const file = join(procfsRoot, 'stat');
      return parseCpuTimes(read(file), file);
    },
    readUptimeSeconds() {
      const file = join(procfsRoot, 'uptime');
      return parseUptimeSeconds(read(file), file);
    },
    listPids() {
      let names: string[];
      try {
        names = io.readdir(procfsRoot);
      } catch (error) {
        throw toReadError(procfsRoot, error);
      }
      const pids: number[] = [];
      for (const name of names) {
        const code = name.charCodeAt(0);
        if (code >= 48 && code <= 57 && /^\d+$/.test(name)) pids.push(Number(name));
      }
      return pids;
    },
    readProcessStat(pid) {
      const file = join(procfsRoot, String(pid), 'stat');
      return parseProcessStat(read(file), file);
    },
    readProcessCgroup(pid) {
      const file = join(procfsRoot, String(pid), 'cgroup');
      return classifyCgroup(parseProcCgroup(read(file), file));
    },
    readThreadStat(pid, tid) {
      const file = join(procfsRoot, String(pid), 'task', String(tid), 'stat');
      return parseProcessStat(read(file), file);
    },
  };
}
