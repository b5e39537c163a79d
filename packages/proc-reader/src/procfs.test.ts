import { loadProcCapture } from '@proj/fixtures';
import { describe, expect, it } from 'vitest';
import { ProcParseError, ProcReadError } from './errors.js';
import { openProcfs } from './procfs.js';
import { createMemoryIo, formatStatLine } from './testing/memory-io.js';

const stat = loadProcCapture('stat', 'sensu-cpu-checks-17__proc-stat-cpu-line-3.2.0-steal-nonzero').text;

describe('openProcfs over a tree', () => {
  const io = createMemoryIo({
    '/p/stat': stat,
    '/p/uptime': '1234.56 99.00\n',
    '/p/1/stat': formatStatLine({ pid: 1, comm: 'init', ppid: 0 }),
    '/p/1/cgroup': '0::/init.scope\n',
    '/p/42/stat': formatStatLine({ pid: 42, comm: 'ffmpeg', utime: 10, stime: 2 }),
    '/p/42/task/43/stat': formatStatLine({ pid: 43, comm: 'ffmpeg', utime: 4 }),
    '/p/self/stat': formatStatLine({ pid: 42, comm: 'ffmpeg' }),
    '/p/sys/kernel/pid_max': '32768\n',
  });
  const procfs = openProcfs({ procfsRoot: '/p', io });

  it('reads /proc/stat and /proc/uptime under the root it was given', () => {
    expect(procfs.readCpuTimes()).toMatchObject({ stealTicks: 58368179, iowaitTicks: 104755408 });
    expect(procfs.readUptimeSeconds()).toBe(1234.56);
  });

  it('lists only the numeric entries as pids', () => {
    expect(procfs.listPids().sort((a, b) => a - b)).toEqual([1, 42]);
  });

  it('reads a process, a thread and a cgroup', () => {
    expect(procfs.readProcessStat(42)).toMatchObject({ comm: 'ffmpeg', utimeTicks: 10, stimeTicks: 2 });
    expect(procfs.readThreadStat(42, 43)).toMatchObject({ pid: 43, utimeTicks: 4 });
    expect(procfs.readProcessCgroup(1)).toEqual({ containerId: null, runtime: null, podUid: null, unifiedPath: '/init.scope', cpuacctPath: null });
  });

  it('reports a vanished pid as not_found, EACCES as permission_denied, garbage as parse_error', () => {
    const failing = createMemoryIo({ '/p/7/stat': 'garbage' });
    failing.fail('/p/8/stat', 'EACCES');
    failing.fail('/p/9/stat', 'ESRCH');
    const fs = openProcfs({ procfsRoot: '/p', io: failing });
    const reasonOf = (pid: number) => {
      try {
        fs.readProcessStat(pid);
        return 'read';
      } catch (error) {
        return (error as ProcReadError).reason;
      }
    };
    expect([reasonOf(6), reasonOf(7), reasonOf(8), reasonOf(9)]).toEqual(['not_found', 'parse_error', 'permission_denied', 'not_found']);
    expect(() => fs.readProcessStat(7)).toThrow(ProcParseError);
    expect(() => fs.readProcessStat(8)).toThrow(expect.objectContaining({ code: 'EACCES', file: '/p/8/stat' }));
    expect(() => fs.readCpuTimes()).toThrow(ProcReadError);
  });
});

describe('openProcfs on this machine', () => {
  it('reads the real /proc: this process is listed with its comm, and the host has CPUs', () => {
    const procfs = openProcfs();
    const times = procfs.readCpuTimes();
    expect(times.cpuCount).toBeGreaterThan(0);
    expect(times.busyTicks).toBeLessThanOrEqual(times.totalTicks);
    expect(procfs.listPids()).toContain(process.pid);
    const self = procfs.readProcessStat(process.pid);
    expect(self.ppid).toBe(process.ppid);
    expect(self.starttimeTicks).toBeLessThanOrEqual(procfs.readUptimeSeconds() * 100 + 1);
    const cgroup = procfs.readProcessCgroup(process.pid);
    expect(cgroup.unifiedPath ?? cgroup.cpuacctPath).not.toBeNull();
  });
});
