// The built exporter with the power sources beside RAPL: every hwmon fixture tree, and IPMI DCMI through the fake
// ipmitool replaying real captures and failing on demand (hang, crash, garbage), as a user runs it.
import { hwmonTreeNames, ipmiFixtureDir, loadHwmonTree, materializeHwmonTree, parseSamples, runToExit, sampleValue, until, type Sample, type SpawnedServer } from '@proj/fixtures';
import { useExporterHarness } from '@proj/fixtures/harness';
import { isRunning } from '@proj/subprocess';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENTRY } from './harness.js';

const FAKE_IPMITOOL = fileURLToPath(new URL('../../../tools/fake-ipmitool/ipmitool', import.meta.url));
const harness = useExporterHarness({
  entry: ENTRY,
  requires: [fileURLToPath(new URL('../../../tools/fake-ipmitool/dist/ipmitool.js', import.meta.url))],
  buildHint: 'pnpm nx run cpu-exporter:build && pnpm nx run @proj/fake-ipmitool:build',
});

const scrape = async (server: SpawnedServer): Promise<Sample[]> => parseSamples(await (await fetch(`${server.url}/metrics`)).text());
const ticks = (samples: Sample[]): number => sampleValue(samples, 'cpu_exporter_sampler_ticks_total')!;
const health = async (server: SpawnedServer) => (await (await fetch(`${server.url}/health`)).json()) as Record<string, unknown> & { power_sources: { live: string[]; attribution: string | null } };

/** An hwmon fixture tree in a temporary sysfs root (no powercap in it: a host without RAPL). */
function hwmonTree(name: string) {
  const t = materializeHwmonTree(name);
  harness.defer(() => t.remove());
  return t;
}

describe.each(hwmonTreeNames())('cpu_exporter on hwmon tree %s', (name) => {
  const { expect: expected } = loadHwmonTree(name);

  it('serves every expected power sensor and energy counter, labelled, beside rapl_available 0', async () => {
    const t = hwmonTree(name);
    const server = await harness.start(['--sysfs-root', t.root, '--interval', '200ms']);
    let samples: Sample[] = [];
    await until(async () => ticks((samples = await scrape(server))) >= 2); // the estimate needs two readings
    expect(sampleValue(samples, 'rapl_available')).toBe(0);
    for (const p of expected.power) {
      const labels = { chip: p.chip, sensor: p.sensor, label: p.label, ...(p.device === undefined ? {} : { device: p.device }) };
      expect(sampleValue(samples, 'hwmon_power_watts', labels), JSON.stringify(labels)).toBeCloseTo(p.watts, 6);
    }
    expect(samples.filter((s) => s.name === 'hwmon_power_watts').length).toBe(expected.power.length);
    for (const e of expected.energy) expect(sampleValue(samples, 'hwmon_energy_joules_total', { chip: e.chip, sensor: e.sensor, label: e.label })).toBe(0);
    expect(sampleValue(samples, 'cpu_power_estimate_watts', { model: 'ccf_linear' })).toBeGreaterThan(0);
  });
});

describe('cpu_exporter hwmon socket energy for attribution', () => {
  it('uses zenergy Esocket0 (zone package_0, source hwmon) for attribution, and says so on /health and the landing page', async () => {
    const t = hwmonTree('zenergy-ryzen-laptop');
    const server = await harness.start(['--sysfs-root', t.root, '--interval', '200ms']);
    let energyUj = 13_260_000_000;
    // The counter moves 1 J per step while the test waits for attribution to see it.
    await until(async () => {
      t.setFile('hwmon0', 'energy7_input', (energyUj += 1_000_000));
      const samples = await scrape(server);
      const zone = { source: 'hwmon', zone: 'package_0', package: '0' };
      return (sampleValue(samples, 'energy_node_cpu_active_joules_total', zone) ?? 0) + (sampleValue(samples, 'energy_node_cpu_idle_joules_total', zone) ?? 0) > 0;
    });
    const report = await health(server);
    expect(report.power_sources).toMatchObject({ attribution: 'hwmon', live: expect.arrayContaining(['hwmon', 'estimate']) });
    const page = await (await fetch(`${server.url}/`)).text();
    expect(page).toContain('CPU energy attribution uses: hwmon');
    const samples = await scrape(server);
    const hwmonJoules = sampleValue(samples, 'hwmon_energy_joules_total', { chip: 'zenergy', sensor: 'energy7', label: 'Esocket0' })!;
    const active = sampleValue(samples, 'energy_node_cpu_active_joules_total', { source: 'hwmon', zone: 'package_0', package: '0' })!;
    const idle = sampleValue(samples, 'energy_node_cpu_idle_joules_total', { source: 'hwmon', zone: 'package_0', package: '0' })!;
    // Attribution splits what the counter gained after its first interval: never more than the counter.
    expect(active + idle).toBeGreaterThan(0);
    expect(active + idle).toBeLessThanOrEqual(hwmonJoules + 1e-9);
    expect(samples.some((s) => s.name.startsWith('energy_') && s.labels['source'] === 'estimate')).toBe(false);
  });
});

/** A call log for the fake, in a temporary directory removed after the test. */
function callLog(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ipmi-e2e-'));
  harness.defer(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'calls.jsonl');
}
const callsIn = (log: string): { pid: number; grandchildPid?: number }[] =>
  existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { pid: number; grandchildPid?: number }) : [];

/** The exporter over an empty sysfs with IPMI on, reading the fake with `env`. */
async function withIpmi(env: Record<string, string>, ...args: string[]): Promise<SpawnedServer> {
  const root = mkdtempSync(join(tmpdir(), 'ipmi-sysfs-'));
  harness.defer(() => rmSync(root, { recursive: true, force: true }));
  return harness.start(['--sysfs-root', root, '--interval', '200ms', '--ipmi', 'on', '--ipmitool', FAKE_IPMITOOL, '--ipmi-interval', '1s', ...args], {
    env: { FAKE_IPMI_FIXTURES: ipmiFixtureDir, ...env },
  });
}

describe('cpu_exporter IPMI DCMI with the fake ipmitool', () => {
  it('serves the BMC power of a real capture and integrates it into energy; IPMI is listed live and never used for attribution', async () => {
    const server = await withIpmi({ FAKE_IPMI_CAPTURE: 'lovoo-ipmi-exporter-18__ipmitool-dcmi-power-reading-activated' });
    await until(async () => (sampleValue(await scrape(server), 'ipmi_dcmi_energy_joules_total') ?? 0) > 0);
    const samples = await scrape(server);
    expect(sampleValue(samples, 'ipmi_dcmi_power_watts')).toBe(215);
    expect(sampleValue(samples, 'cpu_exporter_ipmi_reads_total')).toBeGreaterThanOrEqual(2);
    const report = await health(server);
    expect(report.power_sources.live).toContain('ipmi');
    expect(report.power_sources.attribution).toBe('estimate');
    expect(samples.some((s) => s.name.startsWith('energy_') && s.labels['source'] === 'ipmi')).toBe(false);
  });

  it('answers /metrics while ipmitool hangs (and its grandchild idles), kills them at the timeout, and leaves no process after stop', async () => {
    const log = callLog();
    const server = await withIpmi({ FAKE_IPMI_FAIL: 'hang', FAKE_IPMI_IGNORE_SIGTERM: '1', FAKE_IPMI_GRANDCHILD: '1', FAKE_IPMI_CALL_LOG: log }, '--ipmi-timeout', '3s');
    // A hung child is running: scrapes still answer from memory, and the sampler keeps ticking meanwhile.
    await until(() => callsIn(log).some((c) => isRunning(c.pid)));
    const first = await scrape(server);
    const hung = callsIn(log).filter((c) => isRunning(c.pid));
    expect(hung.length).toBe(1);
    await until(async () => ticks(await scrape(server)) >= ticks(first) + 3);
    expect(isRunning(hung[0]!.pid), 'the same hung child is still there while the sampler ticked').toBe(true);
    expect(sampleValue(await scrape(server), 'ipmi_dcmi_power_watts')).toBeUndefined();
    // Killed at the timeout (SIGTERM is ignored: the group gets SIGKILL), grandchild included; counted.
    await until(async () => (sampleValue(await scrape(server), 'cpu_exporter_ipmi_errors_total', { reason: 'timeout' }) ?? 0) >= 1);
    await until(() => !isRunning(hung[0]!.pid) && (hung[0]!.grandchildPid === undefined || !isRunning(hung[0]!.grandchildPid)));
    const report = await health(server);
    expect(report['reasons']).toEqual(expect.arrayContaining([expect.stringContaining('timeout')]));
    // Stopped during the next hang: nothing the exporter started is left.
    await until(() => callsIn(log).length >= 2);
    const stopped = await server.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    await until(() => callsIn(log).every((c) => !isRunning(c.pid) && (c.grandchildPid === undefined || !isRunning(c.grandchildPid))), 5000);
  });

  it.each([
    ['crash', 'exit_status'],
    ['garbage', 'unrecognised_output'],
    ['deactivated', 'deactivated'],
  ])('FAKE_IPMI_FAIL=%s: no ipmi_dcmi_power_watts (never 0), %s counted, /metrics keeps answering', async (fail, reason) => {
    const server = await withIpmi({ FAKE_IPMI_FAIL: fail });
    await until(async () => (sampleValue(await scrape(server), 'cpu_exporter_ipmi_errors_total', { reason }) ?? 0) >= 1);
    const samples = await scrape(server);
    expect(sampleValue(samples, 'ipmi_dcmi_power_watts')).toBeUndefined();
    expect(sampleValue(samples, 'ipmi_dcmi_energy_joules_total')).toBeUndefined();
    expect(sampleValue(samples, 'cpu_exporter_ipmi_reads_total')).toBe(0);
  });
});

describe('cpu_exporter source flags', () => {
  it('turns hwmon off with --hwmon false, and refuses teads_curve without a TDP (exit 2, one line)', async () => {
    const t = hwmonTree('acpi-power-meter-262w');
    const server = await harness.start(['--sysfs-root', t.root, '--hwmon', 'false']);
    expect((await scrape(server)).some((s) => s.name === 'hwmon_power_watts')).toBe(false);
    const refused = await runToExit(ENTRY, ['--sysfs-root', t.root, '--estimate-model', 'teads-curve']);
    expect(refused.code).toBe(2);
    // One line saying which flag and why, and nothing else (not even the "starting" log line).
    expect(refused.stderr.trim().split('\n')).toEqual([expect.stringContaining('--estimate-tdp-watts')]);
    const teads = await harness.start(['--sysfs-root', t.root, '--interval', '200ms', '--estimate-model', 'teads_curve', '--estimate-tdp-watts', '65']);
    await until(async () => ticks(await scrape(teads)) >= 2);
    expect(sampleValue(await scrape(teads), 'cpu_power_estimate_watts', { model: 'teads_curve' })).toBeGreaterThanOrEqual(65 * 0.12);
  });
});
