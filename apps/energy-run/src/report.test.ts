import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EnergyZone } from './energy.js';
import { attributeRun, formatRunTable, runJson, type RunResult, type TickRecord } from './report.js';

const ZONES: EnergyZone[] = [
  { key: 'intel-rapl:0', source: 'rapl', zone: 'package_0', package: '0' },
  { key: 'intel-rapl:1', source: 'rapl', zone: 'psys' },
];

const tick = (atMs: number, busyTicks: number | null, totalTicks: number | null, joules: (number | null)[]): TickRecord => ({
  atMs,
  busyTicks,
  totalTicks,
  energy: ZONES.map((zone, i) => ({ key: zone.key, deltaJoules: joules[i] ?? null })),
});

describe('attributeRun', () => {
  it('sums each zone and gives the command ΔE x Δcpu / Δtotal per interval', () => {
    // 2 CPUs at USER_HZ 100: 200 ticks a second. The command uses 0.5 s, then 1 s.
    const ticks = [tick(0, 0, 0, [null, null]), tick(1000, 100, 200, [10, 20]), tick(2000, 300, 400, [30, null])];
    const { host, attributed } = attributeRun(ticks, ZONES, [0.5, 1], 100);
    expect(host).toEqual([
      { source: 'rapl', zone: 'package_0', package: '0', joules: 40 },
      { source: 'rapl', zone: 'psys', joules: 20 },
    ]);
    expect(attributed[0]!.joules).toBeCloseTo(10 * (50 / 200) + 30 * (100 / 200), 12);
    expect(attributed[1]!.joules).toBeCloseTo(20 * (50 / 200), 12);
  });

  it('counts an interval without /proc/stat for the host and gives it no share', () => {
    const { host, attributed } = attributeRun([tick(0, 0, 0, []), tick(1000, null, null, [10, 10])], ZONES, [1], 100);
    expect(host.map((z) => z.joules)).toEqual([10, 10]);
    expect(attributed.map((z) => z.joules)).toEqual([0, 0]);
  });

  it('property: per zone the share is >= 0 and never more than the host energy', () => {
    const interval = fc.record({
      busy: fc.integer({ min: 0, max: 400 }),
      idle: fc.integer({ min: 0, max: 400 }),
      joules: fc.option(fc.double({ min: 0, max: 1000, noNaN: true }), { nil: null }),
      cpu: fc.double({ min: 0, max: 10, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 20 }), (intervals) => {
        let busy = 0;
        let total = 0;
        const ticks = [tick(0, 0, 0, [])];
        intervals.forEach((step, i) => {
          busy += step.busy;
          total += step.busy + step.idle;
          ticks.push(tick(i + 1, busy, total, [step.joules, step.joules]));
        });
        const { host, attributed } = attributeRun(ticks, ZONES, intervals.map((step) => step.cpu), 100);
        host.forEach((zone, i) => {
          expect(attributed[i]!.joules).toBeGreaterThanOrEqual(0);
          expect(attributed[i]!.joules).toBeLessThanOrEqual(zone.joules * (1 + 1e-12) + 1e-12);
        });
      }),
    );
  });
});

const RESULT: RunResult = {
  command: ['sh', '-c', "echo 'hi'"],
  exitCode: 3,
  wallSeconds: 2,
  cpuSeconds: 1.5,
  accounting: { method: 'cgroup-v1', description: 'exact', cgroup: '/sys/fs/cgroup/cpuacct/energy-run-1', rusageCpuSeconds: 1.49 },
  energySource: { kind: 'rapl', description: 'RAPL, 2 zones' },
  intervalMs: 100,
  samples: 21,
  cpuCount: 2,
  attribution: {
    host: [
      { source: 'rapl', zone: 'package_0', package: '0', joules: 40 },
      { source: 'rapl', zone: 'psys', joules: 60 },
    ],
    attributed: [
      { source: 'rapl', zone: 'package_0', package: '0', joules: 10 },
      { source: 'rapl', zone: 'psys', joules: 15 },
    ],
  },
  gpus: [{ gpuId: '0', gpuUuid: 'GPU-1', joules: 100, attributedJoules: 25, pmonSamples: 2 }],
  notes: [],
};

describe('runJson', () => {
  it('has the documented shape: command, exitCode, wallSeconds, cpuSeconds, accounting, host, attributed (with watts), gpus', () => {
    const json = runJson(RESULT) as Record<string, unknown>;
    expect(json).toMatchObject({
      command: ['sh', '-c', "echo 'hi'"],
      exitCode: 3,
      wallSeconds: 2,
      cpuSeconds: 1.5,
      accounting: { method: 'cgroup-v1' },
      host: [
        { source: 'rapl', zone: 'package_0', package: '0', joules: 40 },
        { source: 'rapl', zone: 'psys', joules: 60 },
      ],
      attributed: [
        { source: 'rapl', zone: 'package_0', package: '0', joules: 10, watts: 5 },
        { source: 'rapl', zone: 'psys', joules: 15, watts: 7.5 },
      ],
      gpus: [{ gpu_id: '0', gpu_uuid: 'GPU-1', joules: 100, attributed_joules: 25 }],
    });
    expect('package' in (json.host as object[])[1]!).toBe(false);
  });
});

describe('formatRunTable', () => {
  it('says what was measured and how', () => {
    const table = formatRunTable(RESULT);
    expect(table).toContain(`Energy stats for 'sh -c 'echo '\\''hi'\\''''`);
    expect(table).toMatch(/2\.000 s {4}wall time/);
    expect(table).toMatch(/1\.500 s {4}CPU time of the command and all its descendants \(0\.75 CPUs utilized\)/);
    expect(table).toMatch(/40\.000 J {4}host energy, rapl package_0 \(package 0\) {3}20\.00 W/);
    expect(table).toMatch(/10\.000 J {4}the command's share, rapl package_0 \(package 0\) {3}5\.00 W \(25\.0 % of host\)/);
    expect(table).toMatch(/25\.000 J {4}the command's share, GPU 0/);
    expect(table).toContain('CPU time:   cgroup-v1, exact (/sys/fs/cgroup/cpuacct/energy-run-1, removed)');
    expect(table).toContain('every 100 ms, 21 samples, 2 CPUs');
  });

  it('says plainly when no energy source was found, and when the energy is an estimate', () => {
    const none = formatRunTable({ ...RESULT, energySource: { kind: null, description: 'no energy source was found (...)' }, attribution: { host: [], attributed: [] }, gpus: null, gpuReason: 'none (nvidia-smi not found)' });
    expect(none).toContain('no energy source was found: CPU time only');
    expect(none).toContain('GPU:        none (nvidia-smi not found)');
    const estimate = formatRunTable({ ...RESULT, energySource: { kind: 'estimate', description: 'ESTIMATED' } });
    expect(estimate).toContain('ESTIMATE from the CPU busy ratio, not a measurement');
  });
});
