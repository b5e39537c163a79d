import { ccfLinearWatts, teadsCurveWatts } from '@proj/power-estimate';
import { parseCpuTimes, type ProcIo } from '@proj/proc-reader';
import fc from 'fast-check';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { busyRatioBetween, createEstimateCollector, type EstimateCollectorOptions } from './estimate.js';

/** A /proc/stat with `cpus` cpuN lines and the aggregate line's user and idle ticks as given. */
const statText = (user: number, idle: number, cpus = 4, iowait = 0): string =>
  [`cpu  ${user} 0 0 ${idle} ${iowait} 0 0 0 0 0`, ...Array.from({ length: cpus }, (_, i) => `cpu${i} 0 0 0 0 0 0 0 0 0 0`), 'intr 0', ''].join('\n');

/** A procfs whose stat the test sets, or makes fail. */
function fakeProc() {
  const state: { text: string; error?: NodeJS.ErrnoException } = { text: statText(0, 0) };
  const io = {
    readFile(path: string) {
      if (state.error) throw state.error;
      if (!path.endsWith('/stat')) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return state.text;
    },
  } as unknown as ProcIo;
  return { io, state };
}

function setup(overrides: Partial<EstimateCollectorOptions> = {}) {
  const { io, state } = fakeProc();
  const registry = new Registry();
  let t = 0;
  const collector = createEstimateCollector({ registry, procfsRoot: '/proc', model: 'ccf_linear', io, now: () => t, ...overrides });
  let tick = 0;
  const at = (ms: number, user: number, idle: number, iowait = 0) => {
    t = ms;
    state.text = statText(user, idle, 4, iowait);
    collector.sample({ index: tick++ } as never);
  };
  const value = async (name: string) => (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values[0];
  return { collector, at, value, state, registry };
}

describe('busyRatioBetween', () => {
  it('is busy ticks over total ticks between two readings, iowait counted idle, and null over no ticks', () => {
    const a = parseCpuTimes(statText(100, 300));
    expect(busyRatioBetween(a, parseCpuTimes(statText(130, 370)))).toBeCloseTo(0.3, 12);
    expect(busyRatioBetween(a, parseCpuTimes(statText(100, 350, 4, 50)))).toBe(0);
    expect(busyRatioBetween(a, a)).toBeNull();
  });

  it('stays within [0, 1] for counters that only go up (property)', () => {
    fc.assert(
      fc.property(fc.nat(1e9), fc.nat(1e9), fc.nat(1e6), fc.nat(1e6), fc.nat(1e6), (user, idle, du, di, dw) => {
        const r = busyRatioBetween(parseCpuTimes(statText(user, idle)), parseCpuTimes(statText(user + du, idle + di, 4, dw)));
        if (du + di + dw === 0) return r === null;
        return r !== null && r >= 0 && r <= 1;
      }),
    );
  });
});

describe('estimate collector', () => {
  it('serves the CCF linear model of the busy ratio for the vCPUs of /proc/stat, and integrates it into joules', async () => {
    const { collector, at, value } = setup();
    at(0, 0, 0);
    expect((await value('cpu_power_estimate_watts')) ?? undefined).toBeUndefined();
    expect(collector.lastIntervals()).toEqual({ tickIndex: 0, intervals: [] });
    at(1000, 100, 300); // 25 % busy, 4 vCPUs
    const watts = ccfLinearWatts(0.25, 4);
    expect(watts).toBeCloseTo(4 * (0.74 + 0.25 * 2.76), 12);
    expect(await value('cpu_power_estimate_watts')).toMatchObject({ labels: { model: 'ccf_linear' }, value: watts });
    expect((await value('cpu_energy_estimate_joules_total'))?.value).toBeCloseTo(watts, 12);
    at(3000, 500, 300); // 100 % busy for 2 s
    expect((await value('cpu_energy_estimate_joules_total'))?.value).toBeCloseTo(watts + 2 * 4 * 3.5, 9);
    expect(collector.lastIntervals()).toEqual({ tickIndex: 2, intervals: [{ source: 'estimate', id: 'estimate:ccf_linear', zone: 'cpu', deltaJoules: 28, intervalMs: 2000 }] });
    expect(collector.live()).toBe(true);
    expect(collector.health().details).toMatchObject({ estimate: { model: 'ccf_linear', busy_ratio: 1 } });
  });

  it('serves the Teads curve with the TDP given', async () => {
    const { at, value } = setup({ model: 'teads_curve', tdpWatts: 65 });
    at(0, 0, 0);
    at(1000, 30, 70);
    expect(await value('cpu_power_estimate_watts')).toMatchObject({ labels: { model: 'teads_curve' }, value: teadsCurveWatts(0.3, 65) });
    expect(teadsCurveWatts(0.3, 65)).toBeCloseTo(65 * (0.32 + 0.5 * (0.75 - 0.32)), 12);
  });

  it('refuses the Teads curve without a TDP at creation, not at the first tick', () => {
    expect(() => setup({ model: 'teads_curve' })).toThrow(/tdpWatts/);
  });

  it('leaves the power out and hands on no energy while /proc/stat cannot be read, then starts again from a new baseline', async () => {
    const { collector, at, value, state, registry } = setup();
    at(0, 0, 0);
    at(1000, 10, 30);
    state.error = Object.assign(new Error('EACCES: injected'), { code: 'EACCES' });
    collector.sample({ index: 2 } as never);
    expect((await registry.getMetricsAsJSON()).find((m) => m.name === 'cpu_power_estimate_watts')?.values).toEqual([]);
    expect(collector.lastIntervals()).toEqual({ tickIndex: 2, intervals: [] });
    expect(collector.health()).toMatchObject({ status: 'degraded' });
    const errors = (await registry.getMetricsAsJSON()).find((m) => m.name === 'cpu_exporter_estimate_read_errors_total')?.values;
    expect(errors).toEqual([expect.objectContaining({ labels: { reason: 'permission_denied' }, value: 1 })]);
    delete state.error;
    at(2000, 1000, 30); // baseline only: the busy time while unreadable is not invented
    expect(collector.lastIntervals().intervals).toEqual([]);
    at(3000, 1040, 30);
    expect((await value('cpu_power_estimate_watts'))?.value).toBeCloseTo(4 * 3.5, 12);
  });
});
