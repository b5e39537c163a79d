import { materializePowercapTree } from '@proj/fixtures';
import { nodeProcIo, openProcfs, parseCpuTimes, type CpuTimes, type ProcIo } from '@proj/proc-reader';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createAttributionCollector } from './attribution.js';
import { createTickCpuTimes } from './cpu-times.js';
import { createEstimateCollector } from './estimate.js';
import { createCpuExporter } from './exporter.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

/** A /proc in a temporary directory (stat with 2 CPUs, uptime, one ffmpeg), read through an io that counts and fails on demand. */
function countedProcfs() {
  const root = mkdtempSync(join(tmpdir(), 'cpu-times-proc-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const writeStat = (busy: number, idle: number) => writeFileSync(join(root, 'stat'), `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0 0 0\n`);
  writeStat(1000, 3000);
  writeFileSync(join(root, 'uptime'), '100.00 0.00\n');
  mkdirSync(join(root, '100'));
  writeFileSync(join(root, '100', 'stat'), `100 (ffmpeg) R 1 100 100 0 -1 4194304 0 0 0 0 50 0 0 0 20 0 1 0 500 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`);
  writeFileSync(join(root, '100', 'cgroup'), '0::/user.slice\n');
  const statFile = join(root, 'stat');
  const counts = { stat: 0 };
  let statError: NodeJS.ErrnoException | null = null;
  const touch = (path: string) => {
    if (path !== statFile) return;
    counts.stat++;
    if (statError !== null) throw statError;
  };
  const io: ProcIo = {
    ...nodeProcIo,
    readFile: (path) => {
      touch(path);
      return nodeProcIo.readFile(path);
    },
    readInto: (path, buffer) => {
      touch(path);
      return nodeProcIo.readInto(path, buffer);
    },
  };
  const failStat = (code: string | null) => {
    statError = code === null ? null : Object.assign(new Error(`${code}: ${statFile}`), { code });
  };
  return { root, io, counts, writeStat, failStat };
}

describe('createTickCpuTimes', () => {
  it('reads once per tick index and hands the same reading to every caller of that tick', () => {
    let reads = 0;
    const shared = createTickCpuTimes({ readCpuTimes: () => parseCpuTimes(`cpu  ${++reads} 0 0 100 0 0 0 0 0 0\n`) });
    const first = shared(0);
    expect(shared(0)).toBe(first);
    expect(reads).toBe(1);
    expect(shared(1).userTicks).toBe(2);
    expect(shared(1).userTicks).toBe(2);
    expect(reads).toBe(2);
  });

  it('throws a failed read to every caller of that tick, and reads again on the next tick', () => {
    let reads = 0;
    let fail = true;
    const shared = createTickCpuTimes({
      readCpuTimes: (): CpuTimes => {
        reads++;
        if (fail) throw new Error('EIO: /proc/stat');
        return parseCpuTimes('cpu  1 0 0 100 0 0 0 0 0 0\n');
      },
    });
    expect(() => shared(5)).toThrow('EIO: /proc/stat');
    expect(() => shared(5)).toThrow('EIO: /proc/stat');
    expect(reads).toBe(1);
    fail = false;
    expect(shared(6).userTicks).toBe(1);
    expect(reads).toBe(2);
    fail = true;
    expect(() => shared(7)).toThrow('EIO: /proc/stat');
    expect(reads).toBe(3);
  });
});

describe('the estimate and attribution on one tick', () => {
  function collectors(attribute: { processes: RegExp | null; containers: boolean }) {
    const proc = countedProcfs();
    const registry = new Registry();
    let t = 0;
    const cpuTimes = createTickCpuTimes(openProcfs({ procfsRoot: proc.root, io: proc.io }));
    const estimate = createEstimateCollector({ registry, procfsRoot: proc.root, model: 'ccf_linear', io: proc.io, cpuTimes, now: () => t });
    const attribution = createAttributionCollector({ registry, energy: estimate, procfsRoot: proc.root, ...attribute, procIo: proc.io, cpuTimes });
    cleanups.push(() => attribution.close());
    let index = 0;
    // In the exporter's order: the estimate, then attribution, on the same tick.
    const tick = (ms: number) => {
      t = ms;
      const samplerTick = { index: index++, scheduledAtMs: ms, startedAtMs: ms };
      estimate.sample(samplerTick);
      attribution.sample(samplerTick);
    };
    const value = async (name: string) => (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values[0]?.value;
    return { proc, estimate, attribution, tick, value };
  }

  it.each([
    ['processes and containers', { processes: /^ffmpeg$/, containers: true }],
    ['/proc/stat only (--attribute-processes \'\' --attribute-containers false)', { processes: null, containers: false }],
  ])('%s: /proc/stat is read once per tick, and both see the same reading', async (_name, attribute) => {
    const { proc, estimate, tick, value } = collectors(attribute);
    tick(0);
    proc.writeStat(1060, 3140); // 200 ticks, 60 busy
    tick(1000);
    proc.writeStat(1160, 3240); // 200 ticks, 100 busy
    tick(2000);
    expect(proc.counts.stat).toBe(3);
    expect(estimate.health().details).toMatchObject({ estimate: { busy_ratio: 0.5 } });
    expect(await value('energy_node_cpu_busy_ratio')).toBeCloseTo(0.5, 12);
    expect(await value('energy_node_cpu_active_joules_total')).toBeGreaterThan(0);
  });

  it('a failed read fails both on that tick (each reports it as before), and the next tick reads again', async () => {
    const { proc, estimate, attribution, tick, value } = collectors({ processes: /^ffmpeg$/, containers: true });
    tick(0);
    proc.failStat('EACCES');
    tick(1000);
    expect(proc.counts.stat).toBe(2);
    expect(await value('cpu_exporter_estimate_read_errors_total')).toBe(1);
    expect(estimate.health().reasons.join()).toMatch(/cannot read .*stat for the CPU power estimate: .*EACCES/);
    expect(attribution.health().reasons.join()).toMatch(/attribution cannot read .*EACCES/);
    proc.failStat(null);
    tick(2000);
    expect(proc.counts.stat).toBe(3);
    expect(estimate.health().reasons).toEqual([]);
    expect(attribution.health().reasons).toEqual([]);
  });

  it('each reads for itself without a tick or without the shared reading', () => {
    const proc = countedProcfs();
    const registry = new Registry();
    const cpuTimes = createTickCpuTimes(openProcfs({ procfsRoot: proc.root, io: proc.io }));
    const estimate = createEstimateCollector({ registry, procfsRoot: proc.root, model: 'ccf_linear', io: proc.io, cpuTimes });
    const attribution = createAttributionCollector({ registry, energy: estimate, procfsRoot: proc.root, processes: null, containers: false, procIo: proc.io });
    estimate.sample();
    attribution.sample();
    expect(proc.counts.stat).toBe(2);
    estimate.sample({ index: 7, scheduledAtMs: 0, startedAtMs: 0 });
    attribution.sample({ index: 7, scheduledAtMs: 0, startedAtMs: 0 });
    expect(proc.counts.stat).toBe(4);
  });
});

describe('createCpuExporter', () => {
  async function run(attribution: boolean) {
    const proc = countedProcfs();
    const powercap = materializePowercapTree('amd-epyc-7401p');
    cleanups.push(() => powercap.remove());
    const exporter = createCpuExporter({
      sysfsRoot: powercap.root,
      intervalMs: 20,
      version: 'test',
      procIo: proc.io,
      sources: { hwmon: false, procfsRoot: proc.root },
      ...(attribution ? { attribution: { procfsRoot: proc.root, processes: /^ffmpeg$/, containers: true, cgroupRoot: join(proc.root, 'no-cgroups'), cgroups: null } } : {}),
    });
    await exporter.start();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await exporter.close();
    const ticks = (await exporter.registry.getMetricsAsJSON()).find((m) => m.name === 'cpu_exporter_sampler_ticks_total')!.values[0]!.value;
    return { ticks, reads: proc.counts.stat };
  }

  it('reads /proc/stat once per tick with the estimate and attribution both on, as with the estimate alone', async () => {
    const both = await run(true);
    expect(both.ticks).toBeGreaterThanOrEqual(2);
    expect(both.reads).toBe(both.ticks);
    const alone = await run(false);
    expect(alone.ticks).toBeGreaterThanOrEqual(2);
    expect(alone.reads).toBe(alone.ticks);
  });
});
