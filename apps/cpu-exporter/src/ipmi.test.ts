// The IPMI collector against tools/fake-ipmitool, which replays the real captures of tools/fixtures/ipmi and fails on
// demand. Each read is a real child process run through @proj/subprocess.
import { ipmiFixtureDir, listIpmiCaptures, until } from '@proj/fixtures';
import { isRunning, liveProcessGroups } from '@proj/subprocess';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createIpmiCollector, ipmiOutcomeOf, resolveIpmi, type IpmiCollector, type IpmiCollectorOptions } from './ipmi.js';

const FAKE_DIR = fileURLToPath(new URL('../../../tools/fake-ipmitool/', import.meta.url));
const IPMITOOL = join(FAKE_DIR, 'ipmitool');
const IPMI_DCMI = join(FAKE_DIR, 'ipmi-dcmi');

beforeAll(() => {
  if (!existsSync(join(FAKE_DIR, 'dist', 'ipmitool.js'))) throw new Error('build the fake first: pnpm nx run @proj/fake-ipmitool:build');
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** What each capture comes to, as the tool printed it with exit 0: watts, or the reason there is no reading. */
const EXPECTED: Record<string, number | string> = {
  'ceems__ipmi-dcmi-get-system-power-statistics-lowercase-watts': 332,
  'ceems__ipmitool-dcmi-power-reading-4294W-max': 2578,
  'ha-ipmi-13__ipmitool-dcmi-supermicro-CEST-timestamp-partial': 109,
  'ha-ipmi-13__ipmitool-sdr-elist-ibm-PS-Power-In': 'unrecognised_output',
  'ha-ipmi-13__ipmitool-sdr-type-current-System-Level-No-Reading': 'unrecognised_output',
  'ha-ipmi-13__ipmitool-sdr-type-current-dell-Pwr-Consumption': 'unrecognised_output',
  'ha-ipmi-27__ipmitool-lan-interface-errors': 'session_failed',
  'ha-ipmi-27__ipmitool-sdr-list-full-intel-S2600WT-PS-Input-Power-partial': 'unrecognised_output',
  'ha-ipmi-27__ipmitool-sensor-grep-watts-dell-r710-system-level': 'unrecognised_output',
  'ipmi-exporter-1__ipmi-dcmi-error-command-invalid-or-unsupported-cisco': 'unsupported',
  'ipmitool-176__ipmitool-sdr-discrete-PS-status-0x00': 'unrecognised_output',
  'ipmitool-89__ipmitool-dcmi-get_limit-inband-error-80': 'command_failed',
  'lovoo-ipmi-exporter-18__ipmitool-dcmi-power-reading-activated': 215,
  'phosphor-host-ipmid-167__ipmitool-dcmi-power-reading-zero-deactivated-epoch': 'deactivated',
  'rabe-zabbix-101__ipmitool-dcmi-power-reading-activated': 197,
};

/** A temporary directory for the fake's call log, removed after the test. */
function callLog(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ipmi-calls-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'calls.jsonl');
}
const calls = (log: string): { call: number; pid: number; grandchildPid?: number }[] =>
  existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { call: number; pid: number; grandchildPid?: number }) : [];

/** A collector running the fake with `env`, closed after the test. */
function setup(env: Record<string, string>, overrides: Partial<IpmiCollectorOptions> = {}) {
  const registry = new Registry();
  const collector: IpmiCollector = createIpmiCollector({
    registry,
    command: IPMITOOL,
    intervalMs: 100,
    // The fake is a node program: under load its start alone can pass a second. Only the hang test, which sets its
    // own, is about the timeout.
    timeoutMs: 10_000,
    env: { ...process.env, FAKE_IPMI_FIXTURES: ipmiFixtureDir, ...env },
    ...overrides,
  });
  cleanups.push(() => collector.close?.());
  const metric = async (name: string) => (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values ?? [];
  const count = async (name: string, reason?: string) => (await metric(name)).find((v) => reason === undefined || v.labels['reason'] === reason)?.value ?? 0;
  /** Resolves once `n` reads have ended (with or without a reading). */
  const readsDone = async (n: number) => {
    await until(async () => (await count('cpu_exporter_ipmi_reads_total')) + (await metric('cpu_exporter_ipmi_errors_total')).reduce((a, v) => a + v.value, 0) >= n);
  };
  return { registry, collector, metric, count, readsDone };
}

describe('ipmiOutcomeOf', () => {
  it('turns every capture printed with exit 0 into its reading or its reason', () => {
    const captures = listIpmiCaptures();
    expect(captures.map((c) => c.name).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const capture of captures) {
      const outcome = ipmiOutcomeOf({ kind: 'exited', code: 0, signal: null, stdout: capture.text, stderr: '', truncated: false });
      const want = EXPECTED[capture.name]!;
      expect(outcome, capture.name).toEqual(typeof want === 'number' ? { kind: 'reading', powerWatts: want } : expect.objectContaining({ kind: 'none', reason: want }));
    }
  });

  it('counts a run that did not exit 0 as a failure even when a whole reading came out, and names timeouts and missing programs', () => {
    const text = listIpmiCaptures().find((c) => c.name.startsWith('rabe'))!.text;
    expect(ipmiOutcomeOf({ kind: 'exited', code: 1, signal: null, stdout: text, stderr: '', truncated: false })).toMatchObject({ kind: 'none', reason: 'exit_status' });
    expect(ipmiOutcomeOf({ kind: 'timed_out', stdout: '', stderr: '', truncated: false })).toMatchObject({ reason: 'timeout' });
    expect(ipmiOutcomeOf({ kind: 'spawn_failed', code: 'ENOENT', message: 'spawn ipmitool ENOENT' })).toMatchObject({ reason: 'not_installed' });
  });
});

describe('resolveIpmi', () => {
  it('is off by default, on when asked, and in auto mode needs both the device and a tool on PATH', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ipmi-auto-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const device = join(dir, 'ipmi0');
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    expect(resolveIpmi({ mode: 'off', command: 'ipmitool' })).toMatchObject({ enabled: false });
    expect(resolveIpmi({ mode: 'on', command: '/x/ipmi-dcmi' })).toMatchObject({ enabled: true, tool: 'ipmi-dcmi' });
    expect(resolveIpmi({ mode: 'auto', command: 'ipmitool', pathEnv: bin, devicePath: device })).toMatchObject({ enabled: false, why: expect.stringContaining('no ') });
    writeFileSync(device, '');
    expect(resolveIpmi({ mode: 'auto', command: 'ipmitool', pathEnv: bin, devicePath: device })).toMatchObject({ enabled: false, why: expect.stringContaining('PATH') });
    writeFileSync(join(bin, 'ipmi-dcmi'), '#!/bin/sh\n');
    chmodSync(join(bin, 'ipmi-dcmi'), 0o755);
    expect(resolveIpmi({ mode: 'auto', command: 'ipmitool', pathEnv: bin, devicePath: device })).toMatchObject({ enabled: true, tool: 'ipmi-dcmi', command: join(bin, 'ipmi-dcmi') });
    writeFileSync(join(bin, 'ipmitool'), '#!/bin/sh\n');
    chmodSync(join(bin, 'ipmitool'), 0o755);
    expect(resolveIpmi({ mode: 'auto', command: 'ipmitool', pathEnv: bin, devicePath: device })).toMatchObject({ enabled: true, tool: 'ipmitool' });
  });
});

describe('IPMI collector with the fake ipmitool', () => {
  it.each(Object.entries(EXPECTED))('%s: %s', async (name, want) => {
    const tool = name.includes('ipmi-dcmi') ? IPMI_DCMI : IPMITOOL;
    const { collector, metric, count, readsDone } = setup({ FAKE_IPMI_CAPTURE: name }, { command: tool });
    collector.start?.();
    await readsDone(1);
    collector.sample({ index: 0 } as never);
    const power = await metric('ipmi_dcmi_power_watts');
    if (typeof want === 'number') {
      expect(power).toEqual([expect.objectContaining({ value: want })]);
      expect(collector.live()).toBe(true);
    } else {
      expect(power).toEqual([]); // absent, never 0
      expect(await count('cpu_exporter_ipmi_errors_total', want)).toBeGreaterThanOrEqual(1);
      expect(await metric('ipmi_dcmi_energy_joules_total')).toEqual([]);
      expect(collector.health()).toMatchObject({ status: 'degraded', reasons: [expect.stringContaining(want)] });
    }
  });

  it('integrates energy from consecutive readings (trapezoids over the time between them)', async () => {
    let t = 0;
    const log = callLog();
    const { collector, metric, count } = setup(
      { FAKE_IPMI_CAPTURE: 'rabe-zabbix-101__ipmitool-dcmi-power-reading-activated,lovoo-ipmi-exporter-18__ipmitool-dcmi-power-reading-activated', FAKE_IPMI_CALL_LOG: log },
      { now: () => t },
    );
    collector.start?.();
    await until(async () => (await count('cpu_exporter_ipmi_reads_total')) >= 1);
    t = 1000;
    const before = await count('cpu_exporter_ipmi_reads_total');
    await until(async () => (await count('cpu_exporter_ipmi_reads_total')) > before);
    collector.sample({ index: 0 } as never);
    // 197 W and 215 W alternate, so any two consecutive readings average 206 W; only one pair is 1 s apart.
    expect((await metric('ipmi_dcmi_energy_joules_total'))[0]?.value).toBeCloseTo(206, 9);
  });

  it.each([
    ['exit', 'exit_status'],
    ['crash', 'exit_status'],
    ['garbage', 'unrecognised_output'],
    ['deactivated', 'deactivated'],
    ['unsupported', 'unsupported'],
    ['no-device', 'no_device'],
    ['session', 'session_failed'],
  ])('FAKE_IPMI_FAIL=%s after a reading: the power goes away (never 0) and %s is counted', async (fail, reason) => {
    const log = callLog();
    const { collector, metric, count, readsDone } = setup({ FAKE_IPMI_FAIL: fail, FAKE_IPMI_AFTER_CALLS: '1', FAKE_IPMI_CALL_LOG: log });
    collector.start?.();
    await readsDone(1);
    collector.sample({ index: 0 } as never);
    expect((await metric('ipmi_dcmi_power_watts'))[0]?.value).toBe(197);
    await until(async () => (await count('cpu_exporter_ipmi_errors_total', reason)) >= 1);
    collector.sample({ index: 1 } as never);
    expect(await metric('ipmi_dcmi_power_watts')).toEqual([]);
  });

  it('kills a hung ipmitool and its grandchild at the timeout, retries with backoff, and leaves nothing behind on close', async () => {
    const log = callLog();
    // Long enough for the fake (a node program) to start and log its pids on a loaded machine before it is killed.
    const timeoutMs = 2000;
    const { collector, count } = setup(
      { FAKE_IPMI_FAIL: 'hang', FAKE_IPMI_IGNORE_SIGTERM: '1', FAKE_IPMI_GRANDCHILD: '1', FAKE_IPMI_CALL_LOG: log },
      { intervalMs: 100, timeoutMs },
    );
    const began = performance.now();
    collector.start?.();
    // Sampling never waits for the child: the hung read is in flight while these return.
    for (let i = 0; i < 3; i++) collector.sample({ index: i } as never);
    await until(async () => (await count('cpu_exporter_ipmi_errors_total', 'timeout')) >= 3);
    // Three timeouts and backoff waits of 200 and 400 ms between them: a lower bound, whatever the load.
    expect(performance.now() - began).toBeGreaterThanOrEqual(3 * timeoutMs + 200 + 400);
    await collector.close?.();
    const seen = calls(log);
    expect(seen.length).toBeGreaterThanOrEqual(3);
    // Each group was sent SIGKILL (runOnce does not wait for the exit); the kernel ends them a moment later.
    const pids = seen.flatMap((call) => (call.grandchildPid === undefined ? [call.pid] : [call.pid, call.grandchildPid]));
    await until(() => !pids.some(isRunning), 5000);
    await until(() => liveProcessGroups().length === 0, 5000);
  });

  it('counts a program that is not there as not_installed and keeps going', async () => {
    const { collector, count } = setup({}, { command: '/nonexistent/ipmitool' });
    collector.start?.();
    await until(async () => (await count('cpu_exporter_ipmi_errors_total', 'not_installed')) >= 1);
    collector.sample({ index: 0 } as never);
    expect(collector.health().reasons[0]).toContain('not_installed');
  });
});
