import { loadProcCapture } from '@proj/fixtures';
import { describe, expect, it } from 'vitest';
import { openProcfs } from './procfs.js';
import { createProcessScanner } from './scanner.js';
import { parseCpuTimes } from './stat.js';
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

describe('createProcessScanner with reusePidList', () => {
  /** The fixture host with a loadavg (last pid 500) and a self/status whose NSpid line is `nspid` (none: null). */
  function quietHost(options: { nspid?: string | null; listEveryScans?: number; maxOpenFiles?: number } = {}) {
    const { io } = host();
    io.files.set('/p/loadavg', '0.00 0.01 0.05 1/80 500\n');
    const nspid = options.nspid === undefined ? '\t4242' : options.nspid;
    io.files.set('/p/self/status', `Name:\tnode\nTgid:\t4242\n${nspid === null ? '' : `NSpid:${nspid}\n`}PPid:\t1\n`);
    const scanner = createProcessScanner({
      procfs: openProcfs({ procfsRoot: '/p', io }),
      match: (comm) => comm === 'ffmpeg',
      reusePidList: options.listEveryScans === undefined ? {} : { listEveryScans: options.listEveryScans },
      ...(options.maxOpenFiles === undefined ? {} : { maxOpenFiles: options.maxOpenFiles }),
    });
    const pids = () => scanner.scan().processes.map((p) => p.pid).sort((a, b) => a - b);
    const setLastPid = (pid: number) => io.files.set('/p/loadavg', `0.00 0.01 0.05 1/81 ${pid}\n`);
    return { io, scanner, pids, setLastPid };
  }

  it('lists at the first two scans, then, while the last pid stands still, scans the same processes without a readdir', () => {
    const { io, pids } = quietHost();
    for (let scan = 1; scan <= 6; scan++) expect(pids()).toEqual([1, 100, 200]);
    // The first scan has nothing to compare with; the second confirms the list (see the next test).
    expect(io.readdirs).toEqual(['/p', '/p']);
    expect(io.reads.filter((path) => path === '/p/loadavg')).toHaveLength(6);
    expect(io.reads.filter((path) => path === '/p/100/stat')).toHaveLength(6);
    expect(io.reads.filter((path) => path === '/p/self/status')).toHaveLength(1);
  });

  it('lists when the last pid moved, and once more on the next scan, then reuses again', () => {
    const { io, pids, setLastPid } = quietHost();
    pids();
    pids();
    pids();
    expect(io.readdirs).toHaveLength(2);
    io.files.set('/p/300/stat', formatStatLine({ pid: 300, comm: 'ffmpeg', starttime: 1990 }));
    io.files.set('/p/300/cgroup', '0::/user.slice\n');
    setLastPid(501);
    expect(pids()).toEqual([1, 100, 200, 300]);
    expect(io.readdirs).toHaveLength(3);
    // A pid allocated just before a reading may not have been listable yet: the scan after a move lists again.
    expect(pids()).toEqual([1, 100, 200, 300]);
    expect(io.readdirs).toHaveLength(4);
    expect(pids()).toEqual([1, 100, 200, 300]);
    expect(io.readdirs).toHaveLength(4);
  });

  it('reports a process that ended while the list was reused as vanished once, then drops it from the list', () => {
    const { io, scanner, pids } = quietHost();
    pids();
    pids();
    io.files.delete('/p/200/stat');
    io.files.delete('/p/200/cgroup');
    const scan = scanner.scan();
    expect(scan.vanished).toEqual([200]);
    expect(scan.processes.map((p) => p.pid).sort((a, b) => a - b)).toEqual([1, 100]);
    const readsOf200 = io.reads.filter((path) => path === '/p/200/stat').length;
    expect(scanner.scan().vanished).toEqual([]);
    expect(io.reads.filter((path) => path === '/p/200/stat')).toHaveLength(readsOf200);
    expect(io.readdirs).toHaveLength(2);
    expect(scanner.cachedProcesses).toBe(2);
  });

  it('with stat files held open: an ended process fails its held read, is vanished, dropped, and its file closed', () => {
    const { io, scanner, pids } = quietHost({ maxOpenFiles: 10 });
    pids();
    pids();
    io.files.delete('/p/100/stat');
    io.files.delete('/p/100/cgroup');
    expect(scanner.scan().vanished).toEqual([100]);
    expect(pids()).toEqual([1, 200]);
    expect([...io.openFds.values()].sort()).toEqual(['/p/1/stat', '/p/200/stat']);
    expect(io.readdirs).toHaveLength(2);
  });

  it('lists anyway every listEveryScans scans: a process the last pid did not announce is found by the next listing', () => {
    const { io, pids } = quietHost({ listEveryScans: 4 });
    for (let scan = 1; scan <= 5; scan++) pids();
    // Scans 1 and 2 list, 3 to 5 reuse.
    expect(io.readdirs).toHaveLength(2);
    io.files.set('/p/300/stat', formatStatLine({ pid: 300, comm: 'worker', starttime: 1990 }));
    io.files.set('/p/300/cgroup', '0::/user.slice\n');
    expect(pids()).toEqual([1, 100, 200, 300]);
    expect(io.readdirs).toHaveLength(3);
    for (let scan = 7; scan <= 12; scan++) pids();
    // Scan 6 listed; 7 to 9 reuse, 10 lists, 11 and 12 reuse.
    expect(io.readdirs).toHaveLength(4);
  });

  it('lists every scan when the mount is not our pid namespace (NSpid with two pids), and never reads loadavg', () => {
    const { io, pids } = quietHost({ nspid: '\t98765\t4242' });
    for (let scan = 1; scan <= 4; scan++) expect(pids()).toEqual([1, 100, 200]);
    expect(io.readdirs).toHaveLength(4);
    expect(io.reads).not.toContain('/p/loadavg');
    expect(io.reads.filter((path) => path === '/p/self/status')).toHaveLength(1);
  });

  it('lists every scan when self/status has no NSpid line, or cannot be read', () => {
    const noLine = quietHost({ nspid: null });
    for (let scan = 1; scan <= 3; scan++) noLine.pids();
    expect(noLine.io.readdirs).toHaveLength(3);
    const unreadable = quietHost();
    unreadable.io.files.delete('/p/self/status');
    for (let scan = 1; scan <= 3; scan++) unreadable.pids();
    expect(unreadable.io.readdirs).toHaveLength(3);
  });

  it('lists every scan while loadavg cannot be read or parsed, and reuses again once it can', () => {
    const { io, pids } = quietHost();
    io.fail('/p/loadavg', 'EACCES');
    for (let scan = 1; scan <= 3; scan++) pids();
    expect(io.readdirs).toHaveLength(3);
    const healthy = quietHost();
    healthy.io.files.set('/p/loadavg', '0.00 0.01 0.05\n');
    for (let scan = 1; scan <= 3; scan++) healthy.pids();
    expect(healthy.io.readdirs).toHaveLength(3);
    healthy.setLastPid(600);
    for (let scan = 4; scan <= 6; scan++) healthy.pids();
    // Scan 4 has no earlier reading to compare with, 5 confirms, 6 reuses.
    expect(healthy.io.readdirs).toHaveLength(5);
  });

  it('is off by default: every scan lists, and neither loadavg nor self/status is read', () => {
    const { io, scanner } = host();
    io.files.set('/p/loadavg', '0.00 0.01 0.05 1/80 500\n');
    for (let scan = 1; scan <= 3; scan++) scanner.scan();
    expect(io.readdirs).toHaveLength(3);
    expect(io.reads.some((path) => path === '/p/loadavg' || path === '/p/self/status')).toBe(false);
  });

  it('on this machine: finds a child started between two scans', async () => {
    const { spawn } = await import('node:child_process');
    const scanner = createProcessScanner({ procfs: openProcfs(), reusePidList: {} });
    scanner.scan();
    scanner.scan();
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      expect(scanner.scan().processes.map((p) => p.pid)).toContain(child.pid);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('createProcessScanner with readCpuTimes', () => {
  it('takes /proc/stat from the caller, and throws what it throws', () => {
    const { io } = host();
    const given = parseCpuTimes('cpu  7 0 0 93 0 0 0 0 0 0\n');
    let failure: Error | null = null;
    const scanner = createProcessScanner({
      procfs: openProcfs({ procfsRoot: '/p', io }),
      readCpuTimes: () => {
        if (failure !== null) throw failure;
        return given;
      },
    });
    expect(scanner.scan().stat).toBe(given);
    expect(io.reads).not.toContain('/p/stat');
    failure = new Error('shared read failed');
    expect(() => scanner.scan()).toThrow('shared read failed');
  });
});
