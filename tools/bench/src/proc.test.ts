import { describe, expect, it } from 'vitest';
import { parseProcStat, parseProcStatus, processCpuSeconds, readMemory, threadCpuNs, threadKind, treeCpuSeconds } from './proc.js';

describe('parseProcStat', () => {
  it('counts fields from the last parenthesis, whatever the command name holds', () => {
    const line = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 89 10 20 0 11 0 100 1000000 5000 18446744073709551615';
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 1, pgrp: 4242, utimeTicks: 1234, stimeTicks: 567, cutimeTicks: 89, cstimeTicks: 10 });
  });

  it('rejects text that is not a stat line', () => {
    expect(() => parseProcStat('nonsense')).toThrow(/not a \/proc/);
  });
});

describe('parseProcStatus', () => {
  it('reads VmRSS and VmHWM in bytes', () => {
    const status = 'Name:\tnode\nVmPeak:\t  900000 kB\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nThreads:\t7\n';
    expect(parseProcStatus(status)).toEqual({ rssBytes: 40960 * 1024, hwmBytes: 51200 * 1024 });
  });

  it('splits RSS into private (RssAnon) and file-backed (RssFile) pages when the kernel gives them', () => {
    const status = 'Name:\tnode\nVmHWM:\t   51200 kB\nVmRSS:\t   40960 kB\nRssAnon:\t    9000 kB\nRssFile:\t   31000 kB\nRssShmem:\t     960 kB\n';
    expect(parseProcStatus(status)).toEqual({ rssBytes: 40960 * 1024, hwmBytes: 51200 * 1024, rssAnonBytes: 9000 * 1024, rssFileBytes: 31000 * 1024 });
  });

  it('names the field that is missing', () => {
    expect(() => parseProcStatus('Name:\tnode\nVmHWM:\t   51200 kB\n')).toThrow(/no VmRSS/);
  });
});

describe('reading this process from outside', () => {
  it('sees CPU grow when it burns CPU, and a resident size within its peak', () => {
    const before = processCpuSeconds(process.pid);
    // 60 ms of CPU (not of wall time: a loaded machine may not run this process at all for a while)
    const start = process.cpuUsage();
    while (process.cpuUsage(start).user + process.cpuUsage(start).system < 60_000) Math.sqrt(Math.random());
    expect(processCpuSeconds(process.pid)).toBeGreaterThan(before);
    const { rssBytes, hwmBytes } = readMemory(process.pid);
    expect(rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(hwmBytes).toBeGreaterThanOrEqual(rssBytes);
    expect(treeCpuSeconds(process.pid).ownSeconds).toBeGreaterThanOrEqual(before);
  });
});

describe('threads', () => {
  it('tells the main thread from the others', () => {
    expect(threadKind(100, 100)).toBe('main');
    expect(threadKind(100, 105)).toBe('other');
  });

  it("reads this process's threads, the main one with time on a CPU", () => {
    const threads = threadCpuNs(process.pid);
    expect(threads.get(process.pid)?.ns).toBeGreaterThan(0);
  });
});
