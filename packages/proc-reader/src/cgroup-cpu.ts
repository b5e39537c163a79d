import { ProcParseError } from './errors.js';

/** A cgroup v2 `cpu.stat`: the usage counters in microseconds, and every key as read. */
export interface CgroupCpuStat {
  readonly usageUsec: number;
  /** null when the file has no such key. */
  readonly userUsec: number | null;
  readonly systemUsec: number | null;
  /** Every `key value` line (nr_periods, throttled_usec, ...). */
  readonly fields: Readonly<Record<string, number>>;
}

/** Parses a cgroup v2 `cpu.stat`. Throws when `usage_usec` is absent (a v1 `cpu.stat` holds only throttling). */
export function parseCgroupCpuStat(text: string, file = 'cpu.stat'): CgroupCpuStat {
  const fields = parseKeyValues(text, file);
  const usageUsec = fields['usage_usec'];
  if (usageUsec === undefined) throw new ProcParseError(file, text, 'no usage_usec (a cgroup v1 cpu.stat has none: read cpuacct.usage)');
  return { usageUsec, userUsec: fields['user_usec'] ?? null, systemUsec: fields['system_usec'] ?? null, fields };
}

/**
 * Parses a cgroup v1 `cpuacct.usage`: nanoseconds. Values beyond 2^53 ns (a root cgroup of a large host after a
 * few days) keep about 1 µs of precision at 2^63, far below one clock tick.
 */
export function parseCpuacctUsageNs(text: string, file = 'cpuacct.usage'): number {
  const token = text.trim();
  if (!/^\d+$/.test(token)) throw new ProcParseError(file, token, 'not a non-negative integer of nanoseconds');
  return Number(token);
}

/** Parses a cgroup v1 `cpuacct.stat` (`user N` / `system N`, clock ticks). */
export function parseCpuacctStat(text: string, file = 'cpuacct.stat'): { userTicks: number; systemTicks: number } {
  const fields = parseKeyValues(text, file);
  const userTicks = fields['user'];
  const systemTicks = fields['system'];
  if (userTicks === undefined || systemTicks === undefined) throw new ProcParseError(file, text, 'user or system missing');
  return { userTicks, systemTicks };
}

function parseKeyValues(text: string, file: string): Record<string, number> {
  const fields: Record<string, number> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const match = /^(\S+)\s+(\d+)$/.exec(line);
    if (!match) throw new ProcParseError(file, line, 'not "key value"');
    fields[match[1]!] = Number(match[2]);
  }
  return fields;
}
