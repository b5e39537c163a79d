// The estimate end to end on this machine's real /proc/stat, and attribution on a host without RAPL (an empty
// powercap tree, the real /proc): what a user on a cloud VM gets.
import { parseSamples, sampleValue, until, type Sample, type SpawnedServer } from '@proj/fixtures';
import { ccfLinearWatts, CCF_MAX_WATTS_PER_VCPU, CCF_MIN_WATTS_PER_VCPU } from '@proj/power-estimate';
import { parseCpuTimes } from '@proj/proc-reader';
import { killGroup, spawnGroup } from '@proj/subprocess';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { useHarness } from './harness.js';

const { tree, start, defer } = useHarness();

const readStat = () => parseCpuTimes(readFileSync('/proc/stat', 'utf8'));

/** One CPU kept busy in its own process group, killed after the test. */
function busyChild(seconds: number) {
  const child = spawnGroup(process.execPath, ['-e', `const end = Date.now() + ${seconds * 1000}; while (Date.now() < end) {}`]);
  defer(async () => {
    killGroup(child.pid!, 'SIGKILL');
    await until(() => child.exitCode !== null || child.signalCode !== null, 10_000);
  });
  return child;
}

const estimateJoules = (samples: Sample[]) => sampleValue(samples, 'cpu_energy_estimate_joules_total', { model: 'ccf_linear' })!;
const ticksOf = (samples: Sample[]) => sampleValue(samples, 'cpu_exporter_sampler_ticks_total')!;

/**
 * Waits for the exporter's next tick and reads /proc/stat and the clock right after it, so the exporter's energy
 * (written by that tick) and the test's own reading describe nearly the same moment.
 */
async function atNextTick(server: SpawnedServer) {
  const scrape = async () => parseSamples(await (await fetch(`${server.url}/metrics`)).text());
  const first = ticksOf(await scrape());
  for (;;) {
    const samples = await scrape();
    const stat = readStat();
    const atMs = performance.now();
    if (ticksOf(samples) > first) return { samples, stat, atMs };
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Over one window: the exporter's average estimated power (its energy counter's increase over the window's time) and
 * what the model gives for the busy ratio the test measured itself from /proc/stat over the same window. The CCF
 * model is linear, so its average over the window is the model of the window's average busy ratio.
 */
async function window(server: SpawnedServer, seconds: number) {
  const a = await atNextTick(server);
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const b = await atNextTick(server);
  const busyRatio = (b.stat.busyTicks - a.stat.busyTicks) / (b.stat.totalTicks - a.stat.totalTicks);
  const servedWatts = (estimateJoules(b.samples) - estimateJoules(a.samples)) / ((b.atMs - a.atMs) / 1000);
  return { busyRatio, servedWatts, modelWatts: ccfLinearWatts(busyRatio, a.stat.cpuCount!) };
}

describe('the CPU power estimate on the real /proc/stat', () => {
  it('rises with a busy child by what the CCF model predicts for the busy ratio measured over the same window (within 10 %)', async () => {
    const server = await start(tree('no-powercap'), '--interval', '200ms');
    const vcpus = readStat().cpuCount!;
    const before = await window(server, 2);
    busyChild(30);
    const busy = await window(server, 3);
    const rise = { served: busy.servedWatts - before.servedWatts, model: busy.modelWatts - before.modelWatts };
    console.log(
      `estimate on ${vcpus} vCPUs: before ${before.servedWatts.toFixed(3)} W served vs ${before.modelWatts.toFixed(3)} W for busy ${before.busyRatio.toFixed(3)}; ` +
        `busy child ${busy.servedWatts.toFixed(3)} W served vs ${busy.modelWatts.toFixed(3)} W for busy ${busy.busyRatio.toFixed(3)} ` +
        `(${((100 * busy.servedWatts) / busy.modelWatts - 100).toFixed(2)} %); rise ${rise.served.toFixed(3)} W vs ${rise.model.toFixed(3)} W`,
    );
    expect(Math.abs(before.servedWatts - before.modelWatts)).toBeLessThanOrEqual(0.1 * before.modelWatts);
    expect(Math.abs(busy.servedWatts - busy.modelWatts)).toBeLessThanOrEqual(0.1 * busy.modelWatts);
    // The rise follows the busy ratio the test measured, within 10 % of the model's range (the rise itself depends on
    // what else this shared machine runs: a machine already saturated leaves the child nothing to add).
    const rangeWatts = vcpus * (CCF_MAX_WATTS_PER_VCPU - CCF_MIN_WATTS_PER_VCPU);
    expect(Math.abs(rise.served - rise.model)).toBeLessThanOrEqual(0.1 * rangeWatts);
    // The child keeps one CPU busy: over the busy window the CPUs were at least 1/vcpus busy, give or take a tick.
    expect(busy.busyRatio).toBeGreaterThanOrEqual(0.9 / vcpus);
    expect(busy.servedWatts).toBeGreaterThanOrEqual(ccfLinearWatts(0.9 / vcpus, vcpus) * 0.9);
  });
});

describe('attribution on a host without RAPL', () => {
  it('splits the estimate (source="estimate", zone="cpu") into active and idle energy that add up to it', async () => {
    const server = await start(tree('no-powercap'), '--interval', '200ms');
    busyChild(30);
    const zone = { source: 'estimate', zone: 'cpu' };
    let samples: Sample[] = [];
    await until(async () => {
      samples = (await atNextTick(server)).samples;
      return (sampleValue(samples, 'energy_node_cpu_active_joules_total', zone) ?? 0) > 0 && ticksOf(samples) >= 10;
    });
    const active = sampleValue(samples, 'energy_node_cpu_active_joules_total', zone)!;
    const idle = sampleValue(samples, 'energy_node_cpu_idle_joules_total', zone)!;
    const estimated = estimateJoules(samples);
    // Every joule the estimate produced is split, nothing invented or dropped (both sides start at the first interval).
    expect(Math.abs(active + idle - estimated)).toBeLessThanOrEqual(1e-9 * Math.max(1, estimated));
    expect(samples.filter((s) => s.name === 'energy_node_cpu_active_joules_total').map((s) => s.labels)).toEqual([zone]);
    expect(samples.some((s) => s.name.startsWith('energy_') && s.labels['source'] === 'rapl')).toBe(false);
    const processes = samples.filter((s) => s.name === 'energy_process_cpu_joules_total' && s.labels['source'] === 'estimate').reduce((sum, s) => sum + s.value, 0);
    expect(processes).toBeLessThanOrEqual(active + 1e-9);
    const report = (await (await fetch(`${server.url}/health`)).json()) as { power_sources: { attribution: string } };
    expect(report.power_sources.attribution).toBe('estimate');
  });
});
