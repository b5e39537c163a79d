import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>/stat the harness uses (proc(5)); times are in clock ticks. */
export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
  readonly utimeTicks: number;
  readonly stimeTicks: number;
  /** CPU of children this process has waited for. */
  readonly cutimeTicks: number;
  readonly cstimeTicks: number;
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) is in parentheses and may hold spaces or parentheses, so
 * the fields are counted from the last `)`. Pure.
 */
export function parseProcStat(text: string): ProcStat {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  const pid = Number(text.slice(0, text.indexOf(' ')));
  // After ")": field 3 (state) is rest[0], so field n is rest[n - 3].
  const rest = text.slice(close + 2).trim().split(' ');
  const field = (n: number): number => {
    const value = Number(rest[n - 3]);
    if (!Number.isFinite(value)) throw new Error(`/proc/${pid}/stat: field ${n} is not a number`);
    return value;
  };
  return { pid, ppid: field(4), pgrp: field(5), utimeTicks: field(14), stimeTicks: field(15), cutimeTicks: field(16), cstimeTicks: field(17) };
}

/** A process's memory as /proc/<pid>/status gives it, bytes. */
export interface ProcessMemory {
  readonly rssBytes: number;
  /** VmHWM: the peak RSS. */
  readonly hwmBytes: number;
  /**
   * RssAnon: the private part of RSS (heap, stacks, V8's spaces), and RssFile: pages of mapped files, for Node
   * mostly its own binary's code, clean and shared with every other Node process. Undefined before Linux 4.5.
   */
  readonly rssAnonBytes?: number;
  readonly rssFileBytes?: number;
}

/** VmRSS, VmHWM (peak RSS), RssAnon and RssFile of /proc/<pid>/status, in bytes. Pure. */
export function parseProcStatus(text: string): ProcessMemory {
  const kb = (key: string): number | undefined => {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : undefined;
  };
  const required = (key: string): number => {
    const value = kb(key);
    if (value === undefined) throw new Error(`no ${key} in /proc/<pid>/status`);
    return value;
  };
  const anon = kb('RssAnon');
  const file = kb('RssFile');
  return { rssBytes: required('VmRSS'), hwmBytes: required('VmHWM'), ...(anon === undefined ? {} : { rssAnonBytes: anon }), ...(file === undefined ? {} : { rssFileBytes: file }) };
}

let ticksPerSecond: number | undefined;

/** USER_HZ, the unit of the times in /proc/<pid>/stat (100 on Linux). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** /proc/<pid>/stat, or undefined when the process is gone. */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Resident and peak resident memory of a process, in bytes. */
export function readMemory(pid: number): ProcessMemory {
  return parseProcStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
}

/** CPU seconds (user + system) a process has used itself, read from outside through /proc/<pid>/stat. */
export function processCpuSeconds(pid: number): number {
  const stat = readProcStat(pid);
  if (!stat) throw new Error(`process ${pid} is gone`);
  return (stat.utimeTicks + stat.stimeTicks) / clockTicksPerSecond();
}

/**
 * CPU seconds of a process and all its children: its own, the children it has reaped (cutime, cstime), and the
 * live descendants' (so a long-lived child such as nvidia-smi in loop mode counts too).
 */
export function treeCpuSeconds(pid: number): { ownSeconds: number; childrenSeconds: number } {
  const stats = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry));
    if (stat) stats.set(stat.pid, stat);
  }
  const root = stats.get(pid);
  if (!root) throw new Error(`process ${pid} is gone`);
  const childrenOf = new Map<number, ProcStat[]>();
  for (const stat of stats.values()) childrenOf.set(stat.ppid, [...(childrenOf.get(stat.ppid) ?? []), stat]);
  let childTicks = root.cutimeTicks + root.cstimeTicks;
  const stack = [...(childrenOf.get(pid) ?? [])];
  while (stack.length > 0) {
    const child = stack.pop()!;
    childTicks += child.utimeTicks + child.stimeTicks + child.cutimeTicks + child.cstimeTicks;
    stack.push(...(childrenOf.get(child.pid) ?? []));
  }
  const hz = clockTicksPerSecond();
  return { ownSeconds: (root.utimeTicks + root.stimeTicks) / hz, childrenSeconds: childTicks / hz };
}

/** Nanoseconds on a CPU per thread of a process, by thread id, with the thread's name. */
export function threadCpuNs(pid: number): Map<number, { name: string; ns: number }> {
  const threads = new Map<number, { name: string; ns: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      threads.set(Number(tid), { name, ns });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return threads;
}

/** The main thread (tid = pid) or another: libuv's pool or V8's workers (all named `node` by Node 20). */
export function threadKind(pid: number, tid: number): 'main' | 'other' {
  return tid === pid ? 'main' : 'other';
}
