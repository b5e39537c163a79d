import { loadProcCapture } from '@proj/fixtures';
import { describe, expect, it } from 'vitest';
import { openProcfs } from './procfs.js';
import { createProcessScanner } from './scanner.js';
import { createMemoryIo, formatStatLine } from './testing/memory-io.js';

const DOCKER_ID = 'b176419186d75a44628851daf7841d3374a2ec56d0b038ee3bd1e0c6d331e5b1';

function host() {
  const io = createMemoryIo({
    '/p/stat': 'cpu  100 0 50 1000 10 0 0 0 0 0\ncpu0 50 0 25 500 5 0 0 0 0 0\ncpu1 50 0 25 500 5 0 0 0 0 0\n',
    '/p/uptime': '20.00 30.00\n',
    '/p/1/stat': formatStatLine({ pid: 1, comm: 'systemd', ppid: 0, utime: 5, stime: 5, starttime: 1 }),
    '/p/1/cgroup': '0::/init.scope\n',
    '/p/100/stat': formatStatLine({ pid: 100, comm: 'ffmpeg', utime: 40, stime: 2, starttime: 1500 }),
    '/p/100/cgroup': loadProcCapture('cgroup', 'kepler__cgroup-v2-docker-systemd-scope-prometheus').text,
    '/p/100/cmdline': 'ffmpeg\0-i\0x\0',
    '/p/200/stat': formatStatLine({ pid: 200, comm: 'my (odd) name', utime: 3, starttime: 1800 }),
    '/p/200/cgroup': '0::/user.slice\n',
  });
  return { io, scanner: createProcessScanner({ procfs: openProcfs({ procfsRoot: '/p', io }), match: (comm) => comm === 'ffmpeg' }) };
}

describe('createProcessScanner', () => {
  it('returns the host times, uptime in ticks and every process with its container and match', () => {
    const { scanner } = host();
    const scan = scanner.scan();
    expect(scan.stat).toMatchObject({ totalTicks: 1160, busyTicks: 150, cpuCount: 2 });
    expect(scan.uptimeTicks).toBe(2000);
    expect(scan.processes.sort((a, b) => a.pid - b.pid).map((p) => [p.pid, p.comm, p.cpuTicks, p.containerId, p.runtime, p.matched])).toEqual([
      [1, 'systemd', 10, null, null, false],
      [100, 'ffmpeg', 42, DOCKER_ID, 'docker', true],
      [200, 'my (odd) name', 3, null, null, false],
    ]);
    expect(scan.failures).toEqual([]);
    expect(scan.vanished).toEqual([]);
  });

  it('reads each cgroup once per process life and never reads cmdline', () => {
    const { io, scanner } = host();
    for (let tick = 0; tick < 3; tick++) scanner.scan();
    expect(io.reads.filter((path) => path.endsWith('/cgroup')).sort()).toEqual(['/p/1/cgroup', '/p/100/cgroup', '/p/200/cgroup']);
    expect(io.reads.filter((path) => path === '/p/100/stat')).toHaveLength(3);
    expect(io.reads.some((path) => path.endsWith('/cmdline'))).toBe(false);
  });

  it('treats the same pid with another starttime as a new process (pid reuse) and reads its cgroup again', () => {
    const { io, scanner } = host();
    scanner.scan();
    io.files.set('/p/100/stat', formatStatLine({ pid: 100, comm: 'bash', utime: 1, starttime: 1900 }));
    io.files.set('/p/100/cgroup', '0::/user.slice/user-1000.slice/session-2.scope\n');
    const second = scanner.scan().processes.find((p) => p.pid === 100)!;
    expect(second).toMatchObject({ comm: 'bash', starttimeTicks: 1900, containerId: null, matched: false });
    expect(io.reads.filter((path) => path === '/p/100/cgroup')).toHaveLength(2);
  });

  it('re-matches a process renamed by exec (same starttime) without reading its cgroup again', () => {
    const { io, scanner } = host();
    scanner.scan();
    io.files.set('/p/200/stat', formatStatLine({ pid: 200, comm: 'ffmpeg', utime: 9, starttime: 1800 }));
    expect(scanner.scan().processes.find((p) => p.pid === 200)).toMatchObject({ comm: 'ffmpeg', matched: true, cpuTicks: 9 });
    expect(io.reads.filter((path) => path === '/p/200/cgroup')).toHaveLength(1);
  });

  it('reports pids that vanish between readdir and read as vanished, other failures as data, and keeps scanning', () => {
    const { io, scanner } = host();
    io.fail('/p/100/stat', 'ENOENT');
    io.fail('/p/200/stat', 'EACCES');
    io.files.set('/p/300/stat', 'truncated (x');
    io.files.set('/p/400/stat', formatStatLine({ pid: 400, comm: 'gone-before-cgroup' }));
    const scan = scanner.scan();
    expect(scan.processes.map((p) => p.pid)).toEqual([1]);
    expect(scan.vanished.sort((a, b) => a - b)).toEqual([100, 400]);
    expect(scan.failures.map((f) => [f.pid, f.error.reason])).toEqual([[200, 'permission_denied'], [300, 'parse_error']]);
  });

  it('forgets processes that ended, so the cache follows the live processes', () => {
    const { io, scanner } = host();
    scanner.scan();
    expect(scanner.cachedProcesses).toBe(3);
    io.files.delete('/p/200/stat');
    io.files.delete('/p/200/cgroup');
    scanner.scan();
    expect(scanner.cachedProcesses).toBe(2);
  });

  it('keeps a process whose cgroup is unreadable, without a container, and reads it once', () => {
    const { io, scanner } = host();
    io.fail('/p/100/cgroup', 'EACCES');
    const first = scanner.scan();
    expect(first.processes.find((p) => p.pid === 100)).toMatchObject({ containerId: null, cpuTicks: 42 });
    expect(first.failures.map((f) => [f.pid, f.error.reason])).toEqual([[100, 'permission_denied']]);
    expect(scanner.scan().failures).toEqual([]);
  });

  it('scans without containers when asked: no cgroup read at all', () => {
    const { io } = host();
    createProcessScanner({ procfs: openProcfs({ procfsRoot: '/p', io }), containers: false }).scan();
    expect(io.reads.some((path) => path.endsWith('/cgroup'))).toBe(false);
  });
});

describe('createProcessScanner with wantedOnly', () => {
  it('lists matched, contained and young processes; reads the others once, then only every recheckEveryScans scans', () => {
    const { io } = host();
    const scanner = createProcessScanner({ procfs: openProcfs({ procfsRoot: '/p', io }), match: (comm) => comm === 'ffmpeg', wantedOnly: { recheckEveryScans: 3 } });
    const listed = () => scanner.scan().processes.map((p) => p.pid).sort((a, b) => a - b);
    // Uptime 20 s: pid 1 (started at 0.01 s) is old and idle; pid 200 (started at 18 s) is young; pid 100 is ffmpeg.
    expect(listed()).toEqual([100, 200]);
    for (let scan = 2; scan <= 6; scan++) expect(listed()).toEqual([100, 200]);
    // Read at its first scan, then at the scans whose number plus its pid is a multiple of 3 (2 and 5).
    expect(io.reads.filter((path) => path === '/p/1/stat')).toHaveLength(3);
    expect(io.reads.filter((path) => path === '/p/100/stat')).toHaveLength(6);
    // Time passes: pid 200 is no longer young; pid 1 is renamed into a match and listed by its next recheck.
    io.files.set('/p/uptime', '30.00 40.00\n');
    io.files.set('/p/1/stat', formatStatLine({ pid: 1, comm: 'ffmpeg', ppid: 0, utime: 7, stime: 5, starttime: 1 }));
    const seen = [listed(), listed(), listed()];
    expect(seen.every((pids) => !pids.includes(200))).toBe(true);
    expect(seen.at(-1)).toEqual([1, 100]);
    expect(scanner.cachedProcesses).toBe(3);
  });
});

describe('createProcessScanner on this machine', () => {
  it('sees this process by comm, and its CPU time grow after it burns 30 ms', () => {
    const scanner = createProcessScanner({ procfs: openProcfs(), match: (comm) => comm === 'node' });
    const first = scanner.scan();
    expect(first.processes.find((p) => p.pid === process.pid)).toMatchObject({ matched: true, ppid: process.ppid });
    const before = first.processes.find((p) => p.pid === process.pid)!.cpuTicks;
    const start = process.cpuUsage();
    while (process.cpuUsage(start).user < 30000);
    const after = scanner.scan().processes.find((p) => p.pid === process.pid)!.cpuTicks;
    expect(after).toBeGreaterThan(before);
  });
});

describe('createProcessScanner with stat files held open (maxOpenFiles)', () => {
  function openHost(maxOpenFiles: number) {
    const { io } = host();
    return { io, scanner: createProcessScanner({ procfs: openProcfs({ procfsRoot: '/p', io }), maxOpenFiles }) };
  }

  it('re-reads held files instead of opening them again, up to the limit', () => {
    const { io, scanner } = openHost(2);
    scanner.scan();
    expect(scanner.openFiles).toBe(2);
    const pathReadsAfterFirst = io.reads.filter((path) => /\/p\/\d+\/stat$/.test(path)).length;
    const second = scanner.scan();
    expect(second.processes).toHaveLength(3);
    expect(io.fdReads).toHaveLength(2);
    // One process over the limit is still read by path each scan.
    expect(io.reads.filter((path) => /\/p\/\d+\/stat$/.test(path)).length - pathReadsAfterFirst).toBe(1);
  });

  it('sees new values through a held file, and closes the file of a process that ended', () => {
    const { io, scanner } = openHost(10);
    scanner.scan();
    io.files.set('/p/100/stat', formatStatLine({ pid: 100, comm: 'ffmpeg', utime: 90, stime: 2, starttime: 1500 }));
    expect(scanner.scan().processes.find((p) => p.pid === 100)!.cpuTicks).toBe(92);
    io.files.delete('/p/100/stat');
    io.files.delete('/p/100/cgroup');
    const scan = scanner.scan();
    expect(scan.processes.map((p) => p.pid)).not.toContain(100);
    expect([...io.openFds.values()].sort()).toEqual(['/p/1/stat', '/p/200/stat']);
    scanner.close();
    expect(io.openFds.size).toBe(0);
    expect(scanner.openFiles).toBe(0);
  });

  it('on ESRCH through a held file (the pid now names another process) reads by path and starts a new life', () => {
    const { io, scanner } = openHost(10);
    scanner.scan();
    io.fail('/p/100/stat', 'ESRCH');
    expect(scanner.scan().vanished).toEqual([100]);
    expect(io.openFds.size).toBe(2);
  });

  it('holds real files open on this machine and closes them', () => {
    const scanner = createProcessScanner({ procfs: openProcfs(), maxOpenFiles: 8 });
    scanner.scan();
    const again = scanner.scan();
    expect(scanner.openFiles).toBe(8);
    expect(again.processes.find((p) => p.pid === process.pid)).toBeDefined();
    scanner.close();
    expect(scanner.openFiles).toBe(0);
  });
});
