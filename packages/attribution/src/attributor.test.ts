import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAttributor, processKey, type ProcessSample } from './attributor.js';

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
const stat = (busyTicks: number, totalTicks: number) => ({ busyTicks, totalTicks });
const proc = (pid: number, starttimeTicks: number, cpuTicks: number, extra: Partial<ProcessSample> = {}): ProcessSample => ({ pid, starttimeTicks, cpuTicks, comm: 'ffmpeg', ...extra });

describe('createAttributor', () => {
  it('takes the first snapshot as a baseline: no shares, its energy idle', () => {
    const attributor = createAttributor();
    const step = attributor.update({ stat: stat(100, 1000), uptimeTicks: 500, processes: [proc(10, 1, 50)] }, [{ zone: 'package_0', deltaJoules: 3 }]);
    expect(step).toMatchObject({ baseline: true, busyRatio: null });
    expect(step.zones[0]).toMatchObject({ activeJoules: 0, idleJoules: 3 });
    expect(step.zones[0]!.processJoules.get(processKey(10, 1))).toBe(0);
  });

  it('splits a zone and shares it by Δcpu/Δtotal; a process already running at first sight is a baseline', () => {
    const attributor = createAttributor();
    attributor.update({ stat: stat(100, 1000), uptimeTicks: 500, processes: [proc(10, 1, 50)] }, [{ zone: 'package_0', deltaJoules: null }]);
    // 200 ticks over 2 CPUs in 1 s; 100 busy; pid 10 used 40; pid 11 was running before (starttime 400 < 500) but unseen: baseline.
    const step = attributor.update({ stat: stat(200, 1200), uptimeTicks: 600, processes: [proc(10, 1, 90), proc(11, 400, 70)] }, [{ zone: 'package_0', deltaJoules: 20 }]);
    expect(step.busyRatio).toBe(0.5);
    expect(step.zones[0]).toMatchObject({ deltaJoules: 20, activeJoules: 10, idleJoules: 10 });
    expect(step.zones[0]!.processJoules.get('10:1')).toBe(20 * 40 / 200);
    expect(step.zones[0]!.processJoules.get('11:400')).toBe(0);
  });

  it('counts the whole CPU time of a process born since the previous snapshot', () => {
    const attributor = createAttributor();
    attributor.update({ stat: stat(0, 0), uptimeTicks: 500, processes: [] }, []);
    const step = attributor.update({ stat: stat(100, 200), uptimeTicks: 600, processes: [proc(12, 550, 30)] }, [{ zone: 'core', deltaJoules: 10 }]);
    expect(step.zones[0]!.processJoules.get('12:550')).toBe(10 * 30 / 200);
  });

  it('without uptimes a process seen for the first time is a baseline', () => {
    const attributor = createAttributor();
    attributor.update({ stat: stat(0, 0), processes: [] }, []);
    const step = attributor.update({ stat: stat(100, 200), processes: [proc(12, 550, 30)] }, [{ zone: 'core', deltaJoules: 10 }]);
    expect(step.zones[0]!.processJoules.get('12:550')).toBe(0);
  });

  it('treats a reused pid (another starttime) as a new process and ends the old one', () => {
    const attributor = createAttributor();
    attributor.update({ stat: stat(0, 0), uptimeTicks: 100, processes: [proc(7, 10, 500)] }, []);
    const step = attributor.update({ stat: stat(100, 200), uptimeTicks: 200, processes: [proc(7, 150, 20)] }, [{ zone: 'z', deltaJoules: 4 }]);
    expect(step.ended.processes).toEqual(['7:10']);
    expect(step.zones[0]!.processJoules.get('7:150')).toBe(4 * 20 / 200);
    expect(attributor.totals().processes.map((p) => [p.pid, p.starttimeTicks])).toEqual([[7, 150]]);
  });

  it('drops a vanished process: its last interval stays inside active, its series ends', () => {
    const attributor = createAttributor();
    attributor.update({ stat: stat(0, 0), uptimeTicks: 0, processes: [proc(1, 0, 0), proc(2, 0, 0)] }, []);
    attributor.update({ stat: stat(100, 200), uptimeTicks: 100, processes: [proc(1, 0, 50), proc(2, 0, 50)] }, [{ zone: 'z', deltaJoules: 10 }]);
    const step = attributor.update({ stat: stat(200, 400), uptimeTicks: 200, processes: [proc(1, 0, 100)] }, [{ zone: 'z', deltaJoules: 10 }]);
    expect(step.ended.processes).toEqual(['2:0']);
    expect(step.zones[0]!.activeJoules).toBe(5);
    expect(step.zones[0]!.processJoules.get('1:0')).toBe(2.5);
    expect(attributor.totals().processes).toEqual([{ pid: 1, starttimeTicks: 0, comm: 'ffmpeg', containerId: null, joulesByZone: new Map([['z', 5]]) }]);
  });

  it('sums a container over all its processes, matched or not, and reports only matched processes', () => {
    const attributor = createAttributor();
    const c = { containerId: 'abc', runtime: 'docker', podUid: null };
    attributor.update({ stat: stat(0, 0), uptimeTicks: 0, processes: [proc(1, 0, 0, c), proc(2, 0, 0, { ...c, comm: 'sh', matched: false })] }, []);
    const step = attributor.update({ stat: stat(100, 100), uptimeTicks: 100, processes: [proc(1, 0, 30, c), proc(2, 0, 20, { ...c, comm: 'sh', matched: false })] }, [{ zone: 'z', deltaJoules: 10 }]);
    expect(step.zones[0]!.containerJoules.get('abc')).toBe(5);
    expect([...step.zones[0]!.processJoules.keys()]).toEqual(['1:0']);
    const totals = attributor.totals();
    expect(totals.containers).toEqual([{ containerId: 'abc', runtime: 'docker', podUid: null, joulesByZone: new Map([['z', 5]]) }]);
    expect(totals.processes.map((p) => p.comm)).toEqual(['ffmpeg']);
  });

  it('scales processes and containers by the same factor under skew, so a container equals the sum of its processes', () => {
    const attributor = createAttributor();
    const c = { containerId: 'abc' };
    attributor.update({ stat: stat(0, 0), uptimeTicks: 0, processes: [proc(1, 0, 0, c), proc(2, 0, 0, c), proc(3, 0, 0)] }, []);
    const step = attributor.update({ stat: stat(50, 100), uptimeTicks: 100, processes: [proc(1, 0, 40, c), proc(2, 0, 40, c), proc(3, 0, 20)] }, [{ zone: 'z', deltaJoules: 10 }]);
    const zone = step.zones[0]!;
    expect(zone.activeJoules).toBe(5);
    expect(zone.containerJoules.get('abc')).toBeCloseTo(zone.processJoules.get('1:0')! + zone.processJoules.get('2:0')!, 12);
    expect([...zone.processJoules.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(5, 12);
  });

  it('attributes cgroups from usage deltas (µs to ticks at USER_HZ), each alone, baseline on first sight', () => {
    const attributor = createAttributor({ userHz: 100 });
    attributor.update({ stat: stat(0, 0), cgroups: [{ path: '/lab/job-1', usageUsec: 5_000_000 }] }, []);
    // 0.5 s of CPU = 50 ticks; the parent /lab is new this tick: baseline; /lab/job-2 was made by the caller: counts whole.
    const step = attributor.update(
      { stat: stat(100, 400), cgroups: [{ path: '/lab/job-1', usageUsec: 5_500_000 }, { path: '/lab', usageUsec: 9e9 }, { path: '/lab/job-2', usageUsec: 100_000, createdSincePrevious: true }] },
      [{ zone: 'z', deltaJoules: 8 }],
    );
    expect(Object.fromEntries(step.zones[0]!.cgroupJoules)).toEqual({ '/lab/job-1': 8 * 50 / 400, '/lab': 0, '/lab/job-2': 8 * 10 / 400 });
  });

  it('re-baselines a cgroup whose usage went down (recreated) and ends one that vanished', () => {
    const attributor = createAttributor();
    attributor.update({ stat: stat(0, 0), cgroups: [{ path: '/a', usageUsec: 1e6 }, { path: '/b', usageUsec: 0 }] }, []);
    const step = attributor.update({ stat: stat(100, 100), cgroups: [{ path: '/a', usageUsec: 10 }] }, [{ zone: 'z', deltaJoules: 1 }]);
    expect(step.zones[0]!.cgroupJoules.get('/a')).toBe(0);
    expect(step.ended.cgroups).toEqual(['/b']);
    const next = attributor.update({ stat: stat(200, 200), cgroups: [{ path: '/a', usageUsec: 1_000_010 }] }, [{ zone: 'z', deltaJoules: 1 }]);
    expect(next.zones[0]!.cgroupJoules.get('/a')).toBe(1);
  });

  it('skips a zone whose ΔE is null but still advances the CPU baselines', () => {
    const attributor = createAttributor();
    attributor.update({ stat: stat(0, 0), uptimeTicks: 0, processes: [proc(1, 0, 0)] }, []);
    const skipped = attributor.update({ stat: stat(100, 100), uptimeTicks: 100, processes: [proc(1, 0, 100)] }, [{ zone: 'z', deltaJoules: null }]);
    expect(skipped.zones).toEqual([]);
    const step = attributor.update({ stat: stat(150, 200), uptimeTicks: 200, processes: [proc(1, 0, 150)] }, [{ zone: 'z', deltaJoules: 4 }]);
    expect(step.zones[0]!.processJoules.get('1:0')).toBe(2);
    expect(attributor.totals().nodes).toEqual([{ zone: 'z', activeJoules: 2, idleJoules: 2 }]);
  });
});

describe('createAttributor properties (fast-check)', () => {
  // A run of ticks: each tick some processes burn, some vanish, some are born (starttime after the last uptime),
  // pids get reused, host counters sometimes do not move, ΔE may be null or huge (a wrap-corrected delta).
  const tick = fc.record({
    busy: fc.oneof(fc.constant(0), fc.nat({ max: 400 })),
    idle: fc.oneof(fc.constant(0), fc.nat({ max: 400 })),
    burns: fc.array(fc.nat({ max: 300 }), { minLength: 8, maxLength: 8 }),
    alive: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    reuse: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    cgroupBurns: fc.array(fc.nat({ max: 5_000_000 }), { minLength: 3, maxLength: 3 }),
    energy: fc.array(fc.oneof(fc.constant(null), fc.double({ min: 0, max: 1e5, noNaN: true }), fc.constant(0)), { minLength: 2, maxLength: 2 }),
  });

  it('per zone and tick: active + idle = ΔE; processes, containers and each cgroup <= active; shares >= 0; totals never go down while alive', () => {
    fc.assert(
      fc.property(fc.array(tick, { minLength: 1, maxLength: 12 }), (ticks) => {
        const attributor = createAttributor();
        let busy = 0;
        let total = 0;
        let uptime = 1000;
        const lives = Array.from({ length: 8 }, (_, i) => ({ pid: 100 + i, start: 0, cpu: 0 }));
        const cgroupUsage = [0, 0, 0];
        let last = new Map<string, number>();
        for (const t of ticks) {
          busy += t.busy;
          total += t.busy + t.idle;
          uptime += 100;
          const processes: ProcessSample[] = [];
          lives.forEach((life, i) => {
            if (t.reuse[i]) Object.assign(life, { start: uptime - 50, cpu: 0 });
            life.cpu += t.burns[i]!;
            if (t.alive[i]) processes.push({ pid: life.pid, starttimeTicks: life.start, cpuTicks: life.cpu, comm: 'ffmpeg', containerId: i % 3 === 0 ? null : `c${i % 3}`, matched: i !== 7 });
          });
          t.cgroupBurns.forEach((burn, i) => (cgroupUsage[i]! += burn));
          const cgroups = cgroupUsage.map((usageUsec, i) => ({ path: `/g${i}`, usageUsec }));
          const step = attributor.update({ stat: stat(busy, total), uptimeTicks: uptime, processes, cgroups }, t.energy.map((deltaJoules, i) => ({ zone: `z${i}`, deltaJoules })));
          for (const zone of step.zones) {
            expect(zone.activeJoules).toBeGreaterThanOrEqual(0);
            expect(zone.idleJoules).toBeGreaterThanOrEqual(0);
            expect(close(zone.activeJoules + zone.idleJoules, zone.deltaJoules)).toBe(true);
            const sum = (m: ReadonlyMap<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
            // "To float rounding": relative for normal numbers, and half a subnormal step per rounded share, which
            // matters only for a subnormal ΔE (fast-check draws 4.4e-323 J, where one step is a large part of it).
            const atMostActive = (joules: number, shares: number) => joules <= zone.activeJoules * (1 + 1e-12) + shares * Number.MIN_VALUE;
            expect(atMostActive(sum(zone.processJoules), zone.processJoules.size)).toBe(true);
            expect(atMostActive(sum(zone.containerJoules), zone.containerJoules.size)).toBe(true);
            for (const joules of [...zone.processJoules.values(), ...zone.containerJoules.values(), ...zone.cgroupJoules.values()]) {
              expect(joules).toBeGreaterThanOrEqual(0);
              expect(atMostActive(joules, 1)).toBe(true);
            }
            if (step.deltaTotalTicks <= 0) expect(zone.idleJoules).toBe(zone.deltaJoules);
          }
          const now = new Map<string, number>();
          const totals = attributor.totals();
          for (const p of totals.processes) for (const [zone, joules] of p.joulesByZone) now.set(`p${processKey(p.pid, p.starttimeTicks)}${zone}`, joules);
          for (const c of totals.containers) for (const [zone, joules] of c.joulesByZone) now.set(`c${c.containerId}${zone}`, joules);
          for (const g of totals.cgroups) for (const [zone, joules] of g.joulesByZone) now.set(`g${g.path}${zone}`, joules);
          for (const [key, joules] of now) if (last.has(key)) expect(joules).toBeGreaterThanOrEqual(last.get(key)!);
          last = now;
        }
        // Every joule fed is in a node total: active + idle per zone = Σ ΔE.
        for (const node of attributor.totals().nodes) {
          const fed = ticks.reduce((s, t) => s + (t.energy[Number(node.zone.slice(1))] ?? 0), 0);
          expect(close(node.activeJoules + node.idleJoules, fed)).toBe(true);
        }
      }),
    );
  });
});
