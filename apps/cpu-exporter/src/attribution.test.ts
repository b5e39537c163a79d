import { loadProcCapture, materializeCgroupTree, materializePowercapTree, type MaterializedCgroupTree, type MaterializedTree } from '@proj/fixtures';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeProcIo, type ProcIo } from '@proj/proc-reader';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createAttributionCollector, type AttributionCollectorOptions } from './attribution.js';
import { createRaplCollector } from './collector.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

/** A process in the fixture /proc: its stat fields and, optionally, a real `/proc/<pid>/cgroup` capture. */
interface FakeProcess {
  pid: number;
  comm: string;
  utime: number;
  stime: number;
  starttime: number;
  cgroupCapture?: string;
}

/** A /proc in a temporary directory: `stat` (2 CPUs), `uptime`, and `<pid>/stat`, `<pid>/cgroup` per process. */
function fakeProcfs() {
  const root = mkdtempSync(join(tmpdir(), 'attribution-proc-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const write = (busy: number, idle: number, uptimeSeconds: number, processes: readonly FakeProcess[], gone: readonly number[] = []) => {
    // busy as user ticks; iowait 0: busy = total - idle.
    writeFileSync(join(root, 'stat'), `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0 0 0\nintr 0\n`);
    writeFileSync(join(root, 'uptime'), `${uptimeSeconds.toFixed(2)} 0.00\n`);
    for (const pid of gone) rmSync(join(root, String(pid)), { recursive: true, force: true });
    for (const p of processes) {
      mkdirSync(join(root, String(p.pid)), { recursive: true });
      // Fields after comm as the kernel prints them (a real vim line's tail, with our utime, stime and starttime).
      const fields = ['R', 1, p.pid, p.pid, 0, -1, 4194304, 0, 0, 0, 0, p.utime, p.stime, 0, 0, 20, 0, 1, 0, p.starttime, 56274944, 1981];
      writeFileSync(join(root, String(p.pid), 'stat'), `${p.pid} (${p.comm}) ${fields.join(' ')} 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`);
      const cgroup = p.cgroupCapture === undefined ? '0::/user.slice/user-0.slice/session-1.scope\n' : loadProcCapture('cgroup', p.cgroupCapture).text;
      writeFileSync(join(root, String(p.pid), 'cgroup'), cgroup);
    }
  };
  return { root, write };
}

const DOCKER_V2 = 'kepler__cgroup-v2-docker-systemd-scope-prometheus';
const KUBEPODS_V1 = 'moby-34584__cgroup-v1-kubepods-cgroupfs-besteffort-single-line';

/** RAPL over a powercap fixture (counters the test moves) and attribution after it, on one clock the test moves. */
function setup(options: Partial<AttributionCollectorOptions> & { powercap?: string; cgroupTree?: MaterializedCgroupTree } = {}) {
  const powercap: MaterializedTree = materializePowercapTree(options.powercap ?? 'amd-epyc-7401p');
  cleanups.push(() => powercap.remove());
  const proc = fakeProcfs();
  const registry = new Registry();
  let t = 0;
  const now = () => t;
  const rapl = createRaplCollector({ sysfsRoot: powercap.root, registry, now });
  const attribution = createAttributionCollector({
    registry,
    energy: rapl,
    procfsRoot: proc.root,
    processes: /^(ffmpeg|ffprobe)$/,
    containers: true,
    now,
    ...(options.cgroupTree === undefined ? {} : { cgroupRoot: options.cgroupTree.root }),
    ...options,
  });
  cleanups.push(() => attribution.close());
  let tick = 0;
  const sample = async (ms: number) => {
    t = ms;
    // In the sampler's order: RAPL's intervals are in place before attribution reads them.
    await rapl.sample({ index: tick, scheduledAtMs: ms, startedAtMs: ms });
    await attribution.sample({ index: tick, scheduledAtMs: ms, startedAtMs: ms });
    tick++;
  };
  const series = async (name: string) => (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values ?? [];
  const value = async (name: string, labels: Record<string, string>) =>
    (await series(name)).find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value;
  const sum = async (name: string, labels: Record<string, string>) =>
    (await series(name)).filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((s, v) => s + v.value, 0);
  return { powercap, proc, registry, rapl, attribution, sample, series, value, sum };
}

describe('attribution collector', () => {
  it('splits each zone into active and idle and shares active among processes and containers by their CPU ticks', async () => {
    const { powercap, proc, sample, value, series } = setup();
    const a: FakeProcess = { pid: 100, comm: 'ffmpeg', utime: 1000, stime: 0, starttime: 500, cgroupCapture: DOCKER_V2 };
    const b: FakeProcess = { pid: 200, comm: 'ffprobe', utime: 300, stime: 0, starttime: 600, cgroupCapture: KUBEPODS_V1 };
    const c: FakeProcess = { pid: 300, comm: 'bash', utime: 50, stime: 0, starttime: 700, cgroupCapture: DOCKER_V2 };
    powercap.setEnergyUj('intel-rapl:0', 1_000_000_000);
    powercap.setEnergyUj('intel-rapl:0:0', 2_000_000_000);
    proc.write(10_000, 30_000, 100, [a, b, c]);
    await sample(0); // RAPL's first reading, the attributor's baseline
    // 1 s on 2 CPUs = 200 ticks: 120 busy (ffmpeg 60 + 20 stime, ffprobe 20, bash 20), 80 idle.
    powercap.setEnergyUj('intel-rapl:0', 1_010_000_000); // 10 J
    powercap.setEnergyUj('intel-rapl:0:0', 2_004_000_000); // 4 J
    proc.write(10_120, 30_080, 101, [
      { ...a, utime: 1060, stime: 20 },
      { ...b, utime: 320 },
      { ...c, utime: 70 },
    ]);
    await sample(1000);

    const pkg = { source: 'rapl', zone: 'package_0', package: '0' };
    expect(await value('energy_node_cpu_busy_ratio', {})).toBeCloseTo(0.6, 12);
    expect(await value('energy_node_cpu_active_joules_total', pkg)).toBeCloseTo(6, 9);
    expect(await value('energy_node_cpu_idle_joules_total', pkg)).toBeCloseTo(4, 9);
    expect(await value('energy_process_cpu_joules_total', { ...pkg, pid: '100' })).toBeCloseTo((10 * 80) / 200, 9);
    expect(await value('energy_process_cpu_joules_total', { ...pkg, pid: '200' })).toBeCloseTo((10 * 20) / 200, 9);
    expect(await value('energy_process_cpu_joules_total', { zone: 'core', pid: '100' })).toBeCloseTo((4 * 80) / 200, 9);
    // bash does not match: no series of its own, but its ticks count for its container.
    expect(await value('energy_process_cpu_joules_total', { pid: '300' })).toBeUndefined();
    const docker = 'b176419186d75a44628851daf7841d3374a2ec56d0b038ee3bd1e0c6d331e5b1';
    expect((await series('energy_process_cpu_joules_total')).find((v) => v.labels.pid === '100')?.labels).toEqual({ ...pkg, pid: '100', comm: 'ffmpeg', container_id: docker });
    expect(await value('energy_container_cpu_joules_total', { ...pkg, container_id: docker, runtime: 'docker', pod_uid: '' })).toBeCloseTo((10 * 100) / 200, 9);
    expect(await value('energy_container_cpu_joules_total', { ...pkg, runtime: 'kubepods', pod_uid: '9a18ffb8-8513-11e7-b26e-7e29fbe2a5a3' })).toBeCloseTo(1, 9);
    // active + idle is exactly what RAPL counted for the zone.
    for (const zone of ['package_0', 'core']) {
      const rapl = await value('rapl_energy_joules_total', { zone });
      const split = (await value('energy_node_cpu_active_joules_total', { zone }))! + (await value('energy_node_cpu_idle_joules_total', { zone }))!;
      expect(split).toBeCloseTo(rapl!, 9);
    }
  });

  it('removes the series of a process that ended after its last interval and never lowers a counter while it lives', async () => {
    const { powercap, proc, sample, value } = setup();
    const a: FakeProcess = { pid: 100, comm: 'ffmpeg', utime: 0, stime: 0, starttime: 500 };
    const b: FakeProcess = { pid: 101, comm: 'ffmpeg', utime: 0, stime: 0, starttime: 510 };
    powercap.setEnergyUj('intel-rapl:0', 0);
    proc.write(0, 0, 100, [a, b]);
    await sample(0);
    let last = 0;
    for (let i = 1; i <= 3; i++) {
      powercap.setEnergyUj('intel-rapl:0', i * 5_000_000);
      proc.write(i * 100, i * 100, 100 + i, [{ ...a, utime: i * 50 }, { ...b, utime: i * 10 }]);
      await sample(i * 1000);
      const now = (await value('energy_process_cpu_joules_total', { zone: 'package_0', pid: '100' }))!;
      expect(now).toBeGreaterThan(last);
      last = now;
    }
    expect(last).toBeCloseTo(3 * ((5 * 50) / 200), 9);
    // pid 101 exits: gone from the next sample on; pid 100 keeps its total.
    powercap.setEnergyUj('intel-rapl:0', 20_000_000);
    proc.write(400, 400, 104, [{ ...a, utime: 200 }], [101]);
    await sample(4000);
    expect(await value('energy_process_cpu_joules_total', { pid: '101' })).toBeUndefined();
    expect(await value('energy_process_cpu_joules_total', { zone: 'package_0', pid: '100' })).toBeGreaterThan(last);
  });

  it('counts the whole CPU time of a process born within the interval, and takes a reused pid as a new process', async () => {
    const { powercap, proc, sample, value } = setup();
    powercap.setEnergyUj('intel-rapl:0', 0);
    proc.write(0, 0, 100, []);
    await sample(0);
    powercap.setEnergyUj('intel-rapl:0', 10_000_000);
    // Born at 100.5 s (starttime 10050 ticks) after the previous uptime (100 s): its 40 ticks all count.
    proc.write(100, 100, 101, [{ pid: 42, comm: 'ffmpeg', utime: 40, stime: 0, starttime: 10_050 }]);
    await sample(1000);
    expect(await value('energy_process_cpu_joules_total', { zone: 'package_0', pid: '42' })).toBeCloseTo((10 * 40) / 200, 9);
    powercap.setEnergyUj('intel-rapl:0', 20_000_000);
    proc.write(200, 200, 102, [{ pid: 42, comm: 'ffmpeg', utime: 10, stime: 0, starttime: 10_150 }]);
    await sample(2000);
    // Another life of pid 42: its own counter (10 ticks since birth), the first life's total is not carried over.
    expect(await value('energy_process_cpu_joules_total', { zone: 'package_0', pid: '42' })).toBeCloseTo((10 * 10) / 200, 9);
  });

  it.each([
    ['in our pid namespace: lists only after loadavg\'s last pid moved (and on the scan after)', '\t4242', 4],
    ['in another pid namespace (NSpid with two pids): lists every tick', '\t98765\t4242', 6],
  ])('%s', async (_name, nspid, listings) => {
    let readdirs = 0;
    const procIo: ProcIo = { ...nodeProcIo, readdir: (path) => (readdirs++, nodeProcIo.readdir(path)) };
    const { powercap, proc, sample, value } = setup({ procIo });
    mkdirSync(join(proc.root, 'self'));
    writeFileSync(join(proc.root, 'self', 'status'), `Name:\tnode\nNSpid:${nspid}\n`);
    const lastPid = (pid: number) => writeFileSync(join(proc.root, 'loadavg'), `0.00 0.00 0.00 1/90 ${pid}\n`);
    const a: FakeProcess = { pid: 100, comm: 'ffmpeg', utime: 0, stime: 0, starttime: 500 };
    const b: FakeProcess = { pid: 101, comm: 'ffmpeg', utime: 0, stime: 0, starttime: 10_350 };
    lastPid(100);
    for (let i = 0; i <= 3; i++) {
      powercap.setEnergyUj('intel-rapl:0', i * 5_000_000);
      proc.write(i * 100, i * 100, 100 + i, [{ ...a, utime: i * 50 }]);
      await sample(i * 1000);
    }
    // Ticks 0 and 1 list, 2 and 3 reuse the list. pid 101 is born (at 103.5 s) and loadavg says so: tick 4 lists,
    // finds it and attributes it from its birth; tick 5 lists once more.
    lastPid(101);
    powercap.setEnergyUj('intel-rapl:0', 20_000_000);
    proc.write(400, 400, 104, [{ ...a, utime: 200 }, { ...b, utime: 40 }]);
    await sample(4000);
    powercap.setEnergyUj('intel-rapl:0', 25_000_000);
    proc.write(500, 500, 105, [{ ...a, utime: 250 }, { ...b, utime: 80 }]);
    await sample(5000);
    expect(readdirs).toBe(listings);
    // 5 J per tick of 200 CPU ticks: pid 101 40 ticks (born within the interval) then 40 more; pid 100 50 each tick.
    expect(await value('energy_process_cpu_joules_total', { zone: 'package_0', pid: '101' })).toBeCloseTo((5 * 40) / 200 + (5 * 40) / 200, 9);
    expect(await value('energy_process_cpu_joules_total', { zone: 'package_0', pid: '100' })).toBeCloseTo((5 * 5 * 50) / 200, 9);
  });

  it('exports no process series with processes off and no container series with containers off; the split stays', async () => {
    const { powercap, proc, sample, series, value, attribution } = setup({ processes: null, containers: false });
    powercap.setEnergyUj('intel-rapl:0', 0);
    proc.write(0, 0, 100, [{ pid: 1, comm: 'ffmpeg', utime: 0, stime: 0, starttime: 1, cgroupCapture: DOCKER_V2 }]);
    await sample(0);
    powercap.setEnergyUj('intel-rapl:0', 8_000_000);
    proc.write(50, 150, 101, [{ pid: 1, comm: 'ffmpeg', utime: 50, stime: 0, starttime: 1, cgroupCapture: DOCKER_V2 }]);
    await sample(1000);
    expect(await series('energy_process_cpu_joules_total')).toEqual([]);
    expect(await series('energy_container_cpu_joules_total')).toEqual([]);
    expect(await value('energy_node_cpu_active_joules_total', { zone: 'package_0' })).toBeCloseTo(2, 9);
    expect(attribution.health().details).toMatchObject({ attribution: { processes: { match: null, attributed: 0 }, containers: { enabled: false, attributed: 0 } } });
  });

  it('labels psys (no package) without a package label, and says on /health what it attributes', async () => {
    const { powercap, proc, sample, value, attribution } = setup({ powercap: 'intel-laptop-psys-symlinks' });
    const id = powercap.tree.expect.zones.find((z) => z.zone === 'psys')!.path;
    powercap.setEnergyUj(id, 0);
    proc.write(0, 0, 100, [{ pid: 7, comm: 'ffmpeg', utime: 0, stime: 0, starttime: 1 }]);
    await sample(0);
    powercap.setEnergyUj(id, 20_000_000);
    proc.write(100, 100, 101, [{ pid: 7, comm: 'ffmpeg', utime: 100, stime: 0, starttime: 1 }]);
    await sample(1000);
    expect(await value('energy_process_cpu_joules_total', { source: 'rapl', zone: 'psys', pid: '7', comm: 'ffmpeg', container_id: '' })).toBeCloseTo(10, 9);
    expect((await value('energy_node_cpu_active_joules_total', { zone: 'psys', package: undefined as unknown as string }))).toBeCloseTo(10, 9);
    const report = attribution.health();
    expect(report.status).toBe('ok');
    expect(report.details).toMatchObject({ attribution: { processes: { match: '^(ffmpeg|ffprobe)$', attributed: 1 }, containers: { enabled: true, attributed: 0 }, cgroups: { match: null } } });
  });

  it('skips a tick whose energy intervals belong to another tick and says so on /health', () => {
    const proc = fakeProcfs();
    proc.write(0, 0, 100, []);
    const attribution = createAttributionCollector({
      registry: new Registry(),
      energy: { lastIntervals: () => ({ tickIndex: 7, intervals: [{ source: 'rapl', id: 'intel-rapl:0', zone: 'package_0', deltaJoules: 1, intervalMs: 1000 }] }) },
      procfsRoot: proc.root,
      processes: null,
      containers: false,
    });
    attribution.sample({ index: 3, scheduledAtMs: 0, startedAtMs: 0 });
    const report = attribution.health();
    expect(report.status).toBe('degraded');
    expect(report.reasons[0]).toContain('energy source is at tick 7, attribution at 3');
  });

  it('keeps the sample going and reports when procfs cannot be read', () => {
    const attribution = createAttributionCollector({
      registry: new Registry(),
      energy: { lastIntervals: () => ({ tickIndex: 0, intervals: [] }) },
      procfsRoot: join(tmpdir(), 'no-such-proc-root'),
      processes: /^ffmpeg$/,
      containers: true,
    });
    expect(() => attribution.sample({ index: 0, scheduledAtMs: 0, startedAtMs: 0 })).not.toThrow();
    const report = attribution.health();
    expect(report.status).toBe('degraded');
    expect(report.reasons[0]).toMatch(/attribution cannot read .*no-such-proc-root/);
  });

  it('conserves energy per zone for random ticks: active + idle = the RAPL increase, Σ processes <= active, Σ containers <= active', async () => {
    const step = fc.record({
      joulesUj: fc.integer({ min: 0, max: 50_000_000 }),
      idleTicks: fc.integer({ min: 0, max: 200 }),
      // Per process: ticks it used; -1: it exits this tick. Processes may claim more than the host's busy (skew).
      used: fc.array(fc.integer({ min: -1, max: 120 }), { minLength: 4, maxLength: 4 }),
      extraBusy: fc.integer({ min: 0, max: 100 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 5 }), async (steps) => {
        const { powercap, proc, sample, sum, value } = setup();
        let energyUj = 0;
        let busy = 0;
        let idle = 0;
        let procs: FakeProcess[] = [0, 1, 2, 3].map((i) => ({ pid: 10 + i, comm: i === 3 ? 'bash' : 'ffmpeg', utime: 0, stime: 0, starttime: i, cgroupCapture: i % 2 === 0 ? DOCKER_V2 : KUBEPODS_V1 }));
        powercap.setEnergyUj('intel-rapl:0', 0);
        proc.write(0, 0, 100, procs);
        await sample(0);
        for (const [k, s] of steps.entries()) {
          const gone = procs.filter((p) => s.used[p.pid - 10] === -1).map((p) => p.pid);
          procs = procs.filter((p) => !gone.includes(p.pid)).map((p) => ({ ...p, utime: p.utime + Math.max(0, s.used[p.pid - 10] ?? 0) }));
          energyUj += s.joulesUj;
          busy += s.used.reduce((acc, u) => acc + Math.max(0, u), 0) / 2 + s.extraBusy;
          idle += s.idleTicks;
          powercap.setEnergyUj('intel-rapl:0', energyUj);
          proc.write(Math.round(busy), idle, 101 + k, procs, gone);
          await sample(1000 * (k + 1));
          const zone = { zone: 'package_0' };
          const raplJoules = (await value('rapl_energy_joules_total', zone))!;
          const active = (await value('energy_node_cpu_active_joules_total', zone)) ?? 0;
          const idleJ = (await value('energy_node_cpu_idle_joules_total', zone)) ?? 0;
          expect(Math.abs(active + idleJ - raplJoules)).toBeLessThanOrEqual(1e-9 * Math.max(1, raplJoules));
          expect(active).toBeGreaterThanOrEqual(0);
          expect(idleJ).toBeGreaterThanOrEqual(0);
          expect(await sum('energy_process_cpu_joules_total', zone)).toBeLessThanOrEqual(active + 1e-9);
          expect(await sum('energy_container_cpu_joules_total', zone)).toBeLessThanOrEqual(active + 1e-9);
        }
        while (cleanups.length > 0) cleanups.pop()!();
      }),
      { numRuns: 25 },
    );
  });
});

describe.each(['v2-systemd-docker-lab-jobs', 'v1-joined-cpu-cpuacct-docker-cgroupfs', 'hybrid-separate-cpuacct-unified'])('cgroup attribution on %s', (name) => {
  it('attributes matched cgroups by usage, picks up a new one within a rediscovery and drops one that vanished', async () => {
    const tree = materializeCgroupTree(name);
    cleanups.push(() => tree.remove());
    const all = tree.tree.expect.cgroups;
    const job = all.at(-1)!; // the deepest-sorted cgroup: a job or a container
    const { powercap, proc, sample, value, series, attribution } = setup({ cgroupTree: tree, cgroups: /./, rediscoverEveryMs: 10_000 });
    const zone = { source: 'rapl', zone: 'package_0', package: '0' };
    powercap.setEnergyUj('intel-rapl:0', 0);
    proc.write(0, 0, 100, []);
    await sample(0);
    // 1 s, 2 CPUs: 200 ticks, all busy; the job used 0.5 s = 50 ticks.
    powercap.setEnergyUj('intel-rapl:0', 10_000_000);
    tree.setUsageUsec(job.path, job.usageUsec + 500_000);
    proc.write(200, 0, 101, []);
    await sample(1000);
    expect(await value('energy_cgroup_cpu_joules_total', { ...zone, cgroup: job.path })).toBeCloseTo((10 * 50) / 200, 9);
    expect((await series('energy_cgroup_cpu_joules_total')).filter((v) => v.labels.zone === 'package_0').map((v) => v.labels.cgroup).sort()).toEqual(all.map((c) => c.path).sort());
    expect(attribution.health().details).toMatchObject({ attribution: { cgroups: { match: '.', attributed: all.length, mode: tree.tree.expect.mode, version: tree.tree.expect.cpu!.version } } });

    // A new job cgroup: not before the next discovery, then a baseline, then attributed.
    tree.setUsageUsec('/new-job', 1_000_000);
    powercap.setEnergyUj('intel-rapl:0', 20_000_000);
    proc.write(400, 0, 102, []);
    await sample(2000);
    expect(await value('energy_cgroup_cpu_joules_total', { cgroup: '/new-job' })).toBeUndefined();
    powercap.setEnergyUj('intel-rapl:0', 30_000_000);
    proc.write(600, 0, 103, []);
    await sample(11_000);
    expect(await value('energy_cgroup_cpu_joules_total', { ...zone, cgroup: '/new-job' })).toBe(0);
    tree.setUsageUsec('/new-job', 1_200_000);
    powercap.setEnergyUj('intel-rapl:0', 40_000_000);
    proc.write(800, 0, 104, []);
    await sample(12_000);
    expect(await value('energy_cgroup_cpu_joules_total', { ...zone, cgroup: '/new-job' })).toBeCloseTo((10 * 20) / 200, 9);

    // It vanishes: its series stops at once.
    rmSync(join(tree.root, tree.tree.expect.cpu!.dir, 'new-job'), { recursive: true });
    powercap.setEnergyUj('intel-rapl:0', 50_000_000);
    proc.write(1000, 0, 105, []);
    await sample(13_000);
    expect(await value('energy_cgroup_cpu_joules_total', { cgroup: '/new-job' })).toBeUndefined();
    expect(await value('energy_cgroup_cpu_joules_total', { ...zone, cgroup: job.path })).toBeCloseTo((10 * 50) / 200, 9);
  });
});

describe('cgroup attribution without a cgroup hierarchy', () => {
  it('is degraded and says the root holds no CPU hierarchy', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-cgroups-'));
    cleanups.push(() => rmSync(empty, { recursive: true, force: true }));
    const proc = fakeProcfs();
    proc.write(0, 0, 100, []);
    const attribution = createAttributionCollector({
      registry: new Registry(),
      energy: { lastIntervals: () => ({ tickIndex: 0, intervals: [] }) },
      procfsRoot: proc.root,
      processes: null,
      containers: false,
      cgroupRoot: empty,
      cgroups: /job/,
    });
    attribution.sample({ index: 0, scheduledAtMs: 0, startedAtMs: 0 });
    const report = attribution.health();
    expect(report.status).toBe('degraded');
    expect(report.reasons).toEqual([`--attribute-cgroups is set but ${empty} holds no cgroup v2 cpu.stat nor v1 cpuacct hierarchy`]);
  });
});
