// Attribution end to end on this machine: the built exporter over a fixture powercap tree whose counter a writer
// advances at a known power, the real /proc, real busy processes named ffmpeg and a real v1 cpuacct job cgroup.
import { parseSamples, runToExit, until, type Sample, type SpawnedServer } from '@proj/fixtures';
import { killGroup, spawnGroup } from '@proj/subprocess';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// The stack's writer: energy_uj moved like the kernel does, at the power the test sets.
import { createEnergyWriter } from '../../../tools/stack/src/energy-writer.js';
import { ENTRY, useHarness } from './harness.js';

const { tree, start, defer } = useHarness();

const POWER_WATTS = 20;
const USER_HZ = 100;
const PACKAGE = { source: 'rapl', zone: 'package_0', package: '0' };

/** CPUs counted as /proc/stat counts them (its cpuN lines): the Δtotal the exporter divides by. */
const cpuCount = (): number => readFileSync('/proc/stat', 'utf8').split('\n').filter((line) => /^cpu\d+ /.test(line)).length;

/** utime + stime of a live process, seconds. */
function cpuSecondsOf(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
}

/** A fixture tree with package_0 driven at POWER_WATTS (core stays put). */
function poweredTree() {
  const t = tree('amd-epyc-7401p');
  const writer = createEnergyWriter({
    sysfsRoot: t.root,
    zones: [{ id: 'intel-rapl:0', zone: 'package_0', maxEnergyRangeUj: 65532610987 }],
    tickMs: 20,
    powerWatts: () => POWER_WATTS,
  });
  writer.start();
  defer(() => writer.stop());
  return t;
}

/** A script named ffmpeg, so that the kernel names the process ffmpeg (comm is the executed file's name). */
function ffmpegScript(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'attribution-e2e-'));
  defer(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ffmpeg');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/** Starts a program in its own process group, killed after the test. */
function spawnBurner(file: string, stdin: 'ignore' | 'pipe' = 'ignore') {
  const child = spawnGroup(file, [], { stdin });
  defer(async () => {
    killGroup(child.pid!, 'SIGKILL');
    await until(() => child.exitCode !== null || child.signalCode !== null, 10_000);
  });
  return child;
}

/**
 * Waits for the exporter's next tick and reads `measure` right after it, so that /metrics (written by that tick)
 * and the test's own reading describe the same moment, give or take the few ms a scrape takes.
 */
async function atNextTick<T>(server: SpawnedServer, measure: () => T): Promise<{ samples: Sample[]; measured: T }> {
  const ticksOf = (samples: Sample[]) => samples.find((s) => s.name === 'cpu_exporter_sampler_ticks_total')!.value;
  const first = ticksOf(parseSamples(await (await fetch(`${server.url}/metrics`)).text()));
  for (;;) {
    const body = await (await fetch(`${server.url}/metrics`)).text();
    const measured = measure();
    const samples = parseSamples(body);
    if (ticksOf(samples) > first) return { samples, measured };
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

const find = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
const total = (samples: Sample[], name: string, labels: Record<string, string>) => find(samples, name, labels).reduce((sum, s) => sum + s.value, 0);

/** Per zone: active + idle = RAPL's counter; the processes, the containers and each cgroup stay within active. */
function expectConservation(samples: Sample[]): void {
  const zones = find(samples, 'rapl_energy_joules_total', {});
  expect(zones.length).toBeGreaterThan(0);
  for (const { labels, value: raplJoules } of zones) {
    const zone = { source: 'rapl', ...labels };
    const active = total(samples, 'energy_node_cpu_active_joules_total', zone);
    const idle = total(samples, 'energy_node_cpu_idle_joules_total', zone);
    expect(Math.abs(active + idle - raplJoules), `${labels.zone}: ${active} + ${idle} vs ${raplJoules}`).toBeLessThanOrEqual(1e-9 * Math.max(1, raplJoules));
    expect(total(samples, 'energy_process_cpu_joules_total', zone)).toBeLessThanOrEqual(active + 1e-9);
    expect(total(samples, 'energy_container_cpu_joules_total', zone)).toBeLessThanOrEqual(active + 1e-9);
    for (const cgroup of find(samples, 'energy_cgroup_cpu_joules_total', zone)) expect(cgroup.value).toBeLessThanOrEqual(active + 1e-9);
  }
}

/** Waits (no upper bound on how long the machine takes) until at least `seconds` of wall time went by. */
const atLeast = (seconds: number) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

describe('process attribution on the real /proc', () => {
  it('gives each busy ffmpeg power x its CPU seconds / CPU count (within 10 %), keeps energy conserved, and drops one that exits', async () => {
    const t = poweredTree();
    const script = ffmpegScript('while :; do :; done');
    const burners = [spawnBurner(script), spawnBurner(script)];
    const pids = burners.map((b) => b.pid!);
    const server = await start(t, '--interval', '250ms', '--procfs-root', '/proc');
    await until(async () => {
      const samples = parseSamples(await (await fetch(`${server.url}/metrics`)).text());
      return pids.every((pid) => find(samples, 'energy_process_cpu_joules_total', { ...PACKAGE, pid: String(pid), comm: 'ffmpeg' }).length === 1);
    });
    const ncpu = cpuCount();
    const before = await atNextTick(server, () => pids.map(cpuSecondsOf));
    await atLeast(8);
    const after = await atNextTick(server, () => pids.map(cpuSecondsOf));

    for (const [i, pid] of pids.entries()) {
      const joules = (s: Sample[]) => find(s, 'energy_process_cpu_joules_total', { ...PACKAGE, pid: String(pid) })[0]!.value;
      const cpuSeconds = after.measured[i]! - before.measured[i]!;
      const expected = (POWER_WATTS * cpuSeconds) / ncpu;
      const attributed = joules(after.samples) - joules(before.samples);
      console.log(`ffmpeg pid ${pid}: ${cpuSeconds.toFixed(2)} CPU s on ${ncpu} CPUs at ${POWER_WATTS} W: expected ${expected.toFixed(3)} J, attributed ${attributed.toFixed(3)} J (${((100 * attributed) / expected - 100).toFixed(2)} %)`);
      expect(cpuSeconds).toBeGreaterThan(0.5);
      expect(Math.abs(attributed - expected) / expected).toBeLessThan(0.1);
    }
    expectConservation(after.samples);
    const health = (await (await fetch(`${server.url}/health`)).json()) as { attribution: { processes: { match: string; attributed: number } } };
    expect(health.attribution.processes).toMatchObject({ match: '^(ffmpeg|ffprobe|gst-launch-1\\.0)$' });
    expect(health.attribution.processes.attributed).toBeGreaterThanOrEqual(2);

    // One exits: its series goes, the other's stays.
    killGroup(pids[0]!, 'SIGKILL');
    await until(async () => {
      const samples = parseSamples(await (await fetch(`${server.url}/metrics`)).text());
      return find(samples, 'energy_process_cpu_joules_total', { pid: String(pids[0]) }).length === 0 && find(samples, 'energy_process_cpu_joules_total', { ...PACKAGE, pid: String(pids[1]) }).length === 1;
    });
  });

  it('exits 2 with one line for a bad --attribute-processes or --attribute-cgroups regex, and a bad --attribute-containers', async () => {
    for (const args of [['--attribute-processes', '('], ['--attribute-cgroups', '[a-'], ['--attribute-containers', 'maybe']]) {
      const exit = await runToExit(ENTRY, args);
      expect(exit.code, args.join(' ')).toBe(2);
      const lines = exit.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(args[0]);
    }
  });
});

// The v1 cpuacct hierarchy of this machine (cpuacct mounted on its own); a root test may make cgroups in it.
const cpuacct = '/sys/fs/cgroup/cpuacct';
const canMakeCgroups = existsSync(join(cpuacct, 'cpuacct.usage')) && process.getuid?.() === 0;

describe.skipIf(!canMakeCgroups)('cgroup attribution on the real v1 cpuacct hierarchy', () => {
  it('gives a job cgroup (a burning shell and its ~20 ms children) power x its usage seconds / CPU count within 10 %, and drops it when removed', async () => {
    const job = `/energy-job-${process.pid}`;
    const dir = join(cpuacct, job);
    mkdirSync(dir);
    defer(async () => {
      // The group is killed first (cleanups run last first); a cgroup is removable once its tasks are gone.
      await until(() => {
        try {
          if (existsSync(dir)) rmdirSync(dir);
          return true;
        } catch {
          return false;
        }
      }, 10_000);
    });
    const usageSeconds = () => Number(readFileSync(join(dir, 'cpuacct.usage'), 'utf8').trim()) / 1e9;
    const t = poweredTree();
    // Waits for a line, so it is in the cgroup before it burns; then forks a child that counts for ~20 ms, again and again.
    const script = ffmpegScript('read go\nwhile :; do ( i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done ); done');
    const jobProcess = spawnBurner(script, 'pipe');
    writeFileSync(join(dir, 'cgroup.procs'), String(jobProcess.pid));
    jobProcess.stdin!.write('go\n');
    const server = await start(t, '--interval', '250ms', '--procfs-root', '/proc', '--attribute-processes', '', '--attribute-cgroups', `^${job}$`);
    await until(async () => find(parseSamples(await (await fetch(`${server.url}/metrics`)).text()), 'energy_cgroup_cpu_joules_total', { ...PACKAGE, cgroup: job }).length === 1);
    const ncpu = cpuCount();
    const before = await atNextTick(server, usageSeconds);
    await atLeast(8);
    const after = await atNextTick(server, usageSeconds);
    const joules = (s: Sample[]) => find(s, 'energy_cgroup_cpu_joules_total', { ...PACKAGE, cgroup: job })[0]!.value;
    const cpuSeconds = after.measured - before.measured;
    const expected = (POWER_WATTS * cpuSeconds) / ncpu;
    const attributed = joules(after.samples) - joules(before.samples);
    console.log(`job cgroup ${job}: ${cpuSeconds.toFixed(2)} CPU s on ${ncpu} CPUs at ${POWER_WATTS} W: expected ${expected.toFixed(3)} J, attributed ${attributed.toFixed(3)} J (${((100 * attributed) / expected - 100).toFixed(2)} %)`);
    expect(cpuSeconds).toBeGreaterThan(0.5);
    expect(Math.abs(attributed - expected) / expected).toBeLessThan(0.1);
    expectConservation(after.samples);
    expect(find(after.samples, 'energy_process_cpu_joules_total', {})).toEqual([]);
    const health = (await (await fetch(`${server.url}/health`)).json()) as { attribution: { cgroups: Record<string, unknown> } };
    expect(health.attribution.cgroups).toMatchObject({ match: `^${job}$`, attributed: 1, version: 'v1', hierarchy: cpuacct });

    // The job ends and its cgroup is removed: the series stops.
    killGroup(jobProcess.pid!, 'SIGKILL');
    await until(() => {
      try {
        rmdirSync(dir);
        return true;
      } catch {
        return false;
      }
    }, 10_000);
    await until(async () => find(parseSamples(await (await fetch(`${server.url}/metrics`)).text()), 'energy_cgroup_cpu_joules_total', { cgroup: job }).length === 0);
  });
});
