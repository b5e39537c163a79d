import { ProcParseError } from './errors.js';

/**
 * The aggregate `cpu` line of `/proc/stat`, in clock ticks (USER_HZ, 100 per second on every mainstream kernel)
 * summed over all CPUs. Fields an older kernel does not print are 0.
 */
export interface CpuTimes {
  readonly userTicks: number;
  readonly niceTicks: number;
  readonly systemTicks: number;
  readonly idleTicks: number;
  readonly iowaitTicks: number;
  readonly irqTicks: number;
  readonly softirqTicks: number;
  readonly stealTicks: number;
  /** Already inside userTicks: shown for information, never added to a total. */
  readonly guestTicks: number;
  /** Already inside niceTicks: shown for information, never added to a total. */
  readonly guestNiceTicks: number;
  /** user + nice + system + idle + iowait + irq + softirq + steal (guest and guest_nice are inside user and nice). */
  readonly totalTicks: number;
  /** totalTicks - idleTicks - iowaitTicks. */
  readonly busyTicks: number;
  /** Number of `cpuN` lines, or null when the text has none (a trimmed capture). */
  readonly cpuCount: number | null;
}

const CPU_FIELDS = ['user', 'nice', 'system', 'idle', 'iowait', 'irq', 'softirq', 'steal', 'guest', 'guest_nice'] as const;

/** Parses `/proc/stat` (or only its `cpu` line): 4 to 10 counters depending on the kernel, more are ignored. */
export function parseCpuTimes(text: string, file = '/proc/stat'): CpuTimes {
  let aggregate: string | undefined;
  let cpuCount = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) continue;
    if (line.startsWith('cpu ')) aggregate ??= line;
    else if (/^cpu\d+ /.test(line)) cpuCount++;
  }
  if (aggregate === undefined) throw new ProcParseError(file, text.slice(0, 80), 'no aggregate "cpu" line');
  const tokens = aggregate.trim().split(/\s+/).slice(1);
  if (tokens.length < 4) throw new ProcParseError(file, aggregate, `the cpu line has ${tokens.length} counters, at least 4 expected`);
  const values = CPU_FIELDS.map((name, index) => {
    const token = tokens[index];
    if (token === undefined) return 0;
    if (!/^\d+$/.test(token)) throw new ProcParseError(file, aggregate!, `${name} is not a non-negative integer`);
    return Number(token);
  });
  const [user, nice, system, idle, iowait, irq, softirq, steal, guest, guestNice] = values as [number, number, number, number, number, number, number, number, number, number];
  const totalTicks = user + nice + system + idle + iowait + irq + softirq + steal;
  return {
    userTicks: user,
    niceTicks: nice,
    systemTicks: system,
    idleTicks: idle,
    iowaitTicks: iowait,
    irqTicks: irq,
    softirqTicks: softirq,
    stealTicks: steal,
    guestTicks: guest,
    guestNiceTicks: guestNice,
    totalTicks,
    busyTicks: totalTicks - idle - iowait,
    cpuCount: cpuCount === 0 ? null : cpuCount,
  };
}

/** The fields of `/proc/<pid>/stat` (or `/proc/<pid>/task/<tid>/stat`) that CPU accounting needs. */
export interface ProcessStat {
  readonly pid: number;
  /** The command name (at most 15 bytes, truncated by the kernel); may hold spaces and parentheses. */
  readonly comm: string;
  /** R, S, D, Z (zombie), T, t, X, I (idle kernel thread), ... */
  readonly state: string;
  readonly ppid: number;
  readonly flags: number;
  /** True when PF_KTHREAD is set in flags: a kernel thread. */
  readonly kernelThread: boolean;
  readonly utimeTicks: number;
  readonly stimeTicks: number;
  /** Waited-for children's time; a signed long in the kernel, null when beyond 2^53 in magnitude. */
  readonly cutimeTicks: number | null;
  readonly cstimeTicks: number | null;
  readonly numThreads: number;
  /** When the process started, in clock ticks since boot: with the pid, it names one process life. */
  readonly starttimeTicks: number;
}

const PF_KTHREAD = 0x00200000;
// Fields after the comm, counted from state (field 3 of proc(5)) as index 0.
const STATE = 0;
const PPID = 1;
const FLAGS = 6;
const UTIME = 11;
const STIME = 12;
const CUTIME = 13;
const CSTIME = 14;
const NUM_THREADS = 17;
const STARTTIME = 19;

/**
 * Parses one `/proc/<pid>/stat` line. The comm is taken between the first `(` and the LAST `)`, since a process
 * may name itself `a) b (c`; everything after it is space-separated numbers, of which the first 20 are needed.
 */
export function parseProcessStat(text: string, file = '/proc/self/stat'): ProcessStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 1 || close < open) throw new ProcParseError(file, text, 'no "(comm)"');
  const pid = parseUnsigned(text.slice(0, open).trim(), file, 'pid', text);
  const comm = text.slice(open + 1, close);
  // Walk the fields once instead of splitting the whole line: the scanner parses hundreds of these a tick.
  const fields: string[] = [];
  let index = close + 1;
  const end = text.length;
  while (fields.length <= STARTTIME) {
    while (index < end && (text.charCodeAt(index) === 32 || text.charCodeAt(index) === 10)) index++;
    if (index >= end) break;
    let stop = index;
    while (stop < end && text.charCodeAt(stop) !== 32 && text.charCodeAt(stop) !== 10) stop++;
    fields.push(text.slice(index, stop));
    index = stop;
  }
  if (fields.length <= STARTTIME) throw new ProcParseError(file, text, `${fields.length} fields after the comm, at least ${STARTTIME + 1} expected`);
  const state = fields[STATE]!;
  if (!/^[A-Za-z]$/.test(state)) throw new ProcParseError(file, text, 'the state is not one letter');
  const flags = parseUnsigned(fields[FLAGS]!, file, 'flags', text);
  return {
    pid,
    comm,
    state,
    ppid: parseUnsigned(fields[PPID]!, file, 'ppid', text),
    flags,
    kernelThread: (flags & PF_KTHREAD) !== 0,
    utimeTicks: parseUnsigned(fields[UTIME]!, file, 'utime', text),
    stimeTicks: parseUnsigned(fields[STIME]!, file, 'stime', text),
    cutimeTicks: parseSigned(fields[CUTIME]!, file, 'cutime', text),
    cstimeTicks: parseSigned(fields[CSTIME]!, file, 'cstime', text),
    numThreads: parseUnsigned(fields[NUM_THREADS]!, file, 'num_threads', text),
    starttimeTicks: parseUnsigned(fields[STARTTIME]!, file, 'starttime', text),
  };
}

/** Parses `/proc/uptime` (`"12345.67 23456.78"`): seconds since boot, the clock `starttime` counts on. */
export function parseUptimeSeconds(text: string, file = '/proc/uptime'): number {
  const token = text.trim().split(/\s+/)[0] ?? '';
  if (!/^\d+(\.\d+)?$/.test(token)) throw new ProcParseError(file, text, 'uptime is not a number of seconds');
  return Number(token);
}

/** `/proc/loadavg`: the load averages, the scheduling entities, and the most recently allocated pid. */
export interface Loadavg {
  readonly load1: number;
  readonly load5: number;
  readonly load15: number;
  /** Runnable scheduling entities (processes and threads) now. */
  readonly runnable: number;
  /** Scheduling entities that exist now. */
  readonly entities: number;
  /**
   * The pid most recently allocated, in the pid namespace of the process that READ the file (not of the procfs
   * mount): it moves on every fork and every thread created.
   */
  readonly lastPid: number;
}

/** Parses `/proc/loadavg` (`"0.20 0.18 0.12 1/80 11206"`); a field past the fifth is ignored. */
export function parseLoadavg(text: string, file = '/proc/loadavg'): Loadavg {
  const tokens = text.trim().split(/\s+/);
  if (tokens.length < 5) throw new ProcParseError(file, text, `${tokens.length} fields, 5 expected`);
  const load = (token: string, name: string): number => {
    if (!/^\d+(\.\d+)?$/.test(token)) throw new ProcParseError(file, text, `${name} is not a non-negative number (${token})`);
    return Number(token);
  };
  const entities = /^(\d+)\/(\d+)$/.exec(tokens[3]!);
  if (entities === null) throw new ProcParseError(file, text, `the fourth field is not runnable/total (${tokens[3]!})`);
  return {
    load1: load(tokens[0]!, 'load1'),
    load5: load(tokens[1]!, 'load5'),
    load15: load(tokens[2]!, 'load15'),
    runnable: parseUnsigned(entities[1]!, file, 'runnable', text),
    entities: parseUnsigned(entities[2]!, file, 'entities', text),
    lastPid: parseUnsigned(tokens[4]!, file, 'last pid', text),
  };
}

/**
 * The `NSpid:` line of `/proc/<pid>/status` (Linux 4.1 and later): the process's pid in each pid namespace from the
 * namespace of the procfs mount down to its own. One number: the mount belongs to the process's own namespace.
 * Null when the file has no such line (an older kernel).
 */
export function parseNsPids(text: string, file = '/proc/self/status'): number[] | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith('NSpid:')) continue;
    const tokens = line.slice('NSpid:'.length).trim().split(/\s+/).filter((token) => token !== '');
    if (tokens.length === 0) throw new ProcParseError(file, line, 'NSpid has no pid');
    return tokens.map((token) => parseUnsigned(token, file, 'NSpid', line));
  }
  return null;
}

function parseUnsigned(token: string, file: string, name: string, line: string): number {
  if (!/^\d+$/.test(token)) throw new ProcParseError(file, line, `${name} is not a non-negative integer (${token})`);
  const value = Number(token);
  if (!Number.isSafeInteger(value)) throw new ProcParseError(file, line, `${name} is beyond 2^53 (${token})`);
  return value;
}

function parseSigned(token: string, file: string, name: string, line: string): number | null {
  if (!/^-?\d+$/.test(token)) throw new ProcParseError(file, line, `${name} is not an integer (${token})`);
  const value = Number(token);
  return Number.isSafeInteger(value) ? value : null;
}
