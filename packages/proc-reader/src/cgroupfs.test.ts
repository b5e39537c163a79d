import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupTreeNames, loadCgroupTree, loadProcCapture, materializeCgroupTree } from '@proj/fixtures';
import { afterAll, describe, expect, it } from 'vitest';
import { openCgroupFs } from './cgroupfs.js';
import { ProcParseError } from './errors.js';
import { createMemoryIo } from './testing/memory-io.js';

const v2Stat = loadProcCapture('stat', 'netdata-12595__cgroupv2-cpu-stat-throttled').text;
const rootStat = loadProcCapture('stat', 'kepler-pr159__cgroupv2-root-cpu-stat').text;

/** A v2 host: cgroup.controllers at the root, cpu.stat in each cgroup. */
function v2Tree() {
  return createMemoryIo({
    '/cg/cgroup.controllers': 'cpuset cpu io memory pids\n',
    '/cg/cpu.stat': rootStat,
    '/cg/system.slice/cpu.stat': 'usage_usec 500\n',
    '/cg/system.slice/docker-abc.scope/cpu.stat': v2Stat,
    '/cg/lab.slice/job-1.scope/cpu.stat': 'usage_usec 2000000\nuser_usec 1500000\nsystem_usec 500000\n',
    '/cg/lab.slice/cpu.stat': 'usage_usec 2000001\n',
  });
}

/** A v1 host with cpu,cpuacct joined (cpu and cpuacct would be symlinks to it) and no unified mount. */
function v1Tree() {
  return createMemoryIo({
    '/cg/cpu,cpuacct/cpuacct.usage': '99000000000\n',
    '/cg/cpu,cpuacct/docker/abc/cpuacct.usage': '1000053\n',
    '/cg/cpu,cpuacct/lab/job-1/cpuacct.usage': '2500000000\n',
    '/cg/memory/docker/abc/memory.usage_in_bytes': '1\n',
  });
}

describe('openCgroupFs: layout', () => {
  it('tells v2, v1, hybrid and none apart', () => {
    expect(openCgroupFs({ cgroupRoot: '/cg', io: v2Tree() }).readLayout()).toEqual({ mode: 'v2', cpu: { version: 'v2', dir: '/cg' }, unifiedDir: '/cg' });
    expect(openCgroupFs({ cgroupRoot: '/cg', io: v1Tree() }).readLayout()).toEqual({ mode: 'v1', cpu: { version: 'v1', dir: '/cg/cpu,cpuacct' }, unifiedDir: null });
    const hybrid = v1Tree();
    hybrid.files.set('/cg/unified/cgroup.controllers', '\n');
    expect(openCgroupFs({ cgroupRoot: '/cg', io: hybrid }).readLayout()).toEqual({ mode: 'hybrid', cpu: { version: 'v1', dir: '/cg/cpu,cpuacct' }, unifiedDir: '/cg/unified' });
    expect(openCgroupFs({ cgroupRoot: '/nothing', io: createMemoryIo() }).readLayout()).toEqual({ mode: 'none', cpu: null, unifiedDir: null });
  });

  it('on a hybrid host without a v1 cpuacct, falls back to the unified hierarchy', () => {
    const io = createMemoryIo({ '/cg/unified/cgroup.controllers': '\n', '/cg/unified/cpu.stat': 'usage_usec 1\n' });
    expect(openCgroupFs({ cgroupRoot: '/cg', io }).readLayout()).toMatchObject({ mode: 'hybrid', cpu: { version: 'v2', dir: '/cg/unified' } });
  });
});

describe('openCgroupFs: discovery and usage', () => {
  it('lists v2 cgroups relative to the hierarchy root, filtered by match, descending into non-matching parents', () => {
    const fs = openCgroupFs({ cgroupRoot: '/cg', io: v2Tree() });
    expect(fs.discover().cgroups.map((c) => c.path)).toEqual(['/', '/lab.slice', '/lab.slice/job-1.scope', '/system.slice', '/system.slice/docker-abc.scope']);
    const jobs = fs.discover({ match: (path) => /job-/.test(path) });
    expect(jobs.cgroups).toEqual([{ path: '/lab.slice/job-1.scope', dir: '/cg/lab.slice/job-1.scope' }]);
    expect(fs.discover({ maxDepth: 1 }).cgroups.map((c) => c.path)).toEqual(['/', '/lab.slice', '/system.slice']);
  });

  it('reads v2 usage_usec and v1 cpuacct.usage (ns to µs)', () => {
    const v2 = openCgroupFs({ cgroupRoot: '/cg', io: v2Tree() });
    const { cpu } = v2.readLayout();
    expect(v2.readUsage(cpu!, '/lab.slice/job-1.scope')).toEqual({ path: '/lab.slice/job-1.scope', usageUsec: 2000000, userUsec: 1500000, systemUsec: 500000 });
    const v1 = openCgroupFs({ cgroupRoot: '/cg', io: v1Tree() });
    const discovery = v1.discover();
    expect(discovery.cgroups.map((c) => c.path)).toEqual(['/', '/docker', '/docker/abc', '/lab', '/lab/job-1']);
    expect(v1.readUsage(discovery.layout.cpu!, '/lab/job-1')).toEqual({ path: '/lab/job-1', usageUsec: 2500000, userUsec: null, systemUsec: null });
  });

  it('returns a removed or unreadable cgroup as a failure beside the others', () => {
    const io = v2Tree();
    io.fail('/cg/system.slice/docker-abc.scope/cpu.stat', 'EACCES');
    io.files.set('/cg/lab.slice/cpu.stat', 'garbage\n');
    const fs = openCgroupFs({ cgroupRoot: '/cg', io });
    const { usages, failures } = fs.readUsages(fs.readLayout().cpu!, ['/', '/system.slice/docker-abc.scope', '/gone', '/lab.slice']);
    expect(usages.map((u) => u.path)).toEqual(['/']);
    expect(failures.map((f) => [f.path, f.error.reason])).toEqual([
      ['/system.slice/docker-abc.scope', 'permission_denied'],
      ['/gone', 'not_found'],
      ['/lab.slice', 'parse_error'],
    ]);
    expect(failures[2]!.error).toBeInstanceOf(ProcParseError);
  });

  it('reports a directory it cannot list as a failure and lists the rest', () => {
    const io = v2Tree();
    io.fail('/cg/system.slice', 'EACCES');
    const discovery = openCgroupFs({ cgroupRoot: '/cg', io }).discover();
    expect(discovery.cgroups.map((c) => c.path)).toEqual(['/', '/lab.slice', '/lab.slice/job-1.scope', '/system.slice']);
    expect(discovery.failures.map((f) => [f.path, f.error.reason])).toEqual([['/system.slice', 'permission_denied']]);
  });
});

describe('every stored cgroup tree, written to disk and read through node:fs', () => {
  it('has v2, v1 and hybrid trees', () => {
    expect(new Set(cgroupTreeNames().map((name) => loadCgroupTree(name).expect.mode))).toEqual(new Set(['v2', 'v1', 'hybrid']));
  });

  it.each(cgroupTreeNames())('%s: layout, every cgroup once, and its usage', (name) => {
    const tree = materializeCgroupTree(name);
    try {
      const fs = openCgroupFs({ cgroupRoot: tree.root });
      const discovery = fs.discover();
      const { expect: want } = tree.tree;
      expect(discovery.layout.mode).toBe(want.mode);
      expect(discovery.layout.cpu).toEqual(want.cpu && { version: want.cpu.version, dir: join(tree.root, want.cpu.dir) });
      expect(discovery.failures).toEqual([]);
      const { usages, failures } = fs.readUsages(discovery.layout.cpu!, discovery.cgroups.map((c) => c.path));
      expect(failures).toEqual([]);
      expect(usages.map((u) => ({ path: u.path, usageUsec: u.usageUsec }))).toEqual(want.cgroups);
      // A job cgroup's counter moves: the reader sees the new value.
      const job = want.cgroups.at(-1)!.path;
      tree.setUsageUsec(job, 123_456);
      expect(fs.readUsage(discovery.layout.cpu!, job).usageUsec).toBe(123_456);
    } finally {
      tree.remove();
    }
  });
});

// This machine mounts cgroup v1 controllers separately (cpuacct on its own) plus an empty unified hierarchy.
const realCpuacct = '/sys/fs/cgroup/cpuacct';
const canWrite = existsSync(join(realCpuacct, 'cpuacct.usage')) && process.getuid?.() === 0;

describe.skipIf(!canWrite)('the real v1 cpuacct hierarchy of this machine', () => {
  const child = `/proc-reader-test-${process.pid}`;
  afterAll(() => {
    if (existsSync(join(realCpuacct, child))) rmdirSync(join(realCpuacct, child));
  });

  it('finds the cpuacct hierarchy, discovers a cgroup made for the test and reads the CPU of a process moved into it', async () => {
    const fs = openCgroupFs();
    const before = fs.readLayout();
    expect(before.cpu).toEqual({ version: 'v1', dir: realCpuacct });
    mkdirSync(join(realCpuacct, child));
    expect(fs.discover({ match: (path) => path === child }).cgroups).toEqual([{ path: child, dir: join(realCpuacct, child) }]);
    expect(fs.readUsage(before.cpu!, child).usageUsec).toBe(0);
    // The child waits for a line on stdin, so it is in the cgroup before it burns; then it burns 60 ms of its own CPU.
    const burner = spawn(process.execPath, ['-e', "process.stdin.once('data', () => { const s = process.cpuUsage(); while (process.cpuUsage(s).user < 60000); process.exit(0); });"], { stdio: ['pipe', 'ignore', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => burner.once('exit', resolve));
    writeFileSync(join(realCpuacct, child, 'cgroup.procs'), String(burner.pid));
    burner.stdin.write('go\n');
    expect(await exited).toBe(0);
    expect(fs.readUsage(before.cpu!, child).usageUsec).toBeGreaterThanOrEqual(60000);
  });
});
