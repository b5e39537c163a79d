import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { listIpmiCaptures, loadIpmiCapture, until } from '@proj/fixtures';
import { IpmiError, parseDcmiPowerReading, parseIpmiError, parseSdrPowerSensors } from '@proj/ipmi-parser';
import { afterEach, describe, expect, it } from 'vitest';
import type { Tool } from './config.js';

// The launchers, so every test also runs the path an exporter will be given. Needs `pnpm nx run
// @proj/fake-ipmitool:build` (the nx test target depends on build).
const LAUNCHER: Record<Tool, string> = {
  ipmitool: fileURLToPath(new URL('../ipmitool', import.meta.url)),
  'ipmi-dcmi': fileURLToPath(new URL('../ipmi-dcmi', import.meta.url)),
};
const READING_ARGS: Record<Tool, string[]> = { ipmitool: ['dcmi', 'power', 'reading'], 'ipmi-dcmi': ['--get-system-power-statistics'] };

interface Started {
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string; ms: number }>;
  running(): boolean;
}

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const step of cleanup.splice(0)) step();
});

function start(tool: Tool, args: readonly string[], env: Record<string, string> = {}): Started {
  const began = performance.now();
  const child = spawn(LAUNCHER[tool], args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...env } });
  const stdout: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => stdout.push(data));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string; ms: number }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(stdout), stderr, ms: performance.now() - began })),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  cleanup.push(() => {
    // Only a group still led by our child: the id of one that ended may since belong to another test's process.
    if (running()) killGroup(child.pid!, 'SIGKILL');
  });
  return { pid: child.pid!, exited, running };
}

async function run(tool: Tool, args: readonly string[], env: Record<string, string> = {}) {
  const result = await start(tool, args, env).exited;
  return { ...result, text: result.stdout.toString('utf8') };
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function scratchLog(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fake-ipmitool-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'calls.jsonl');
}

const readings = listIpmiCaptures().filter((capture) => /dcmi-power-reading|dcmi-supermicro|get-system-power-statistics/.test(capture.name));

describe('replaying captures', () => {
  it('has a reading capture for each tool', () => {
    expect(readings.some((capture) => capture.name.includes('ipmi-dcmi'))).toBe(true);
    expect(readings.some((capture) => !capture.name.includes('ipmi-dcmi'))).toBe(true);
  });

  it.each(readings.map((capture) => [capture.name, capture] as const))('%s byte for byte, exit 0', async (_name, capture) => {
    const tool: Tool = capture.name.includes('ipmi-dcmi') ? 'ipmi-dcmi' : 'ipmitool';
    const result = await run(tool, READING_ARGS[tool], { FAKE_IPMI_CAPTURE: capture.name });
    expect(result.code).toBe(0);
    expect(result.text).toBe(capture.text);
    expect(parseDcmiPowerReading(result.text)).toEqual(parseDcmiPowerReading(capture.text));
  });

  it('answers `sdr` and `sensor` with power sensor captures', async () => {
    const sdr = await run('ipmitool', ['sdr', 'type', 'Current']);
    expect(parseSdrPowerSensors(sdr.text)).toMatchObject([{ name: 'Pwr Consumption', watts: 98 }]);
    const sensor = await run('ipmitool', ['sensor']);
    expect(parseSdrPowerSensors(sensor.text)).toMatchObject([{ name: 'System Level', watts: 189 }]);
  });

  it('takes turns through a list of captures, counting calls in the call log', async () => {
    const log = scratchLog();
    const env = { FAKE_IPMI_CAPTURE: 'rabe-zabbix-101__ipmitool-dcmi-power-reading-activated,lovoo-ipmi-exporter-18__ipmitool-dcmi-power-reading-activated', FAKE_IPMI_CALL_LOG: log };
    const watts: (number | undefined)[] = [];
    for (let i = 0; i < 3; i++) watts.push(parseDcmiPowerReading((await run('ipmitool', ['-I', 'open', ...READING_ARGS.ipmitool], env)).text).powerWatts);
    expect(watts).toEqual([197, 215, 197]);
    const calls = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { call: number; argv: string[]; tool: string });
    expect(calls.map((call) => call.call)).toEqual([0, 1, 2]);
    expect(calls[0]).toMatchObject({ tool: 'ipmitool', argv: ['-I', 'open', 'dcmi', 'power', 'reading'] });
  });

  it('prints versions, refuses what it does not emulate, and a bad variable exits 64', async () => {
    expect((await run('ipmitool', ['-V'])).text).toMatch(/^ipmitool version /);
    expect((await run('ipmi-dcmi', ['--version'])).text).toMatch(/^ipmi-dcmi /);
    const invalid = await run('ipmitool', ['chassis', 'status']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('Invalid command: chassis status');
    const bad = await run('ipmitool', READING_ARGS.ipmitool, { FAKE_IPMI_FAIL: 'explode' });
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('FAKE_IPMI_FAIL=explode');
  });
});

describe('failing on demand', () => {
  it('deactivated: a reading the parser withholds, from both tools', async () => {
    for (const tool of ['ipmitool', 'ipmi-dcmi'] as const) {
      const result = await run(tool, READING_ARGS[tool], { FAKE_IPMI_FAIL: 'deactivated' });
      expect(result.code).toBe(0);
      const reading = parseDcmiPowerReading(result.text);
      expect(reading.state).toBe('deactivated');
      expect(reading.powerWatts).toBeUndefined();
    }
  });

  it.each([
    ['ipmitool', 'unsupported', 'unsupported'],
    ['ipmi-dcmi', 'unsupported', 'unsupported'],
    ['ipmitool', 'no-device', 'no_device'],
    ['ipmi-dcmi', 'no-device', 'no_device'],
    ['ipmitool', 'session', 'session_failed'],
    ['ipmi-dcmi', 'session', 'session_failed'],
  ] as const)('%s %s: the message on stderr, exit 1, parsed as %s', async (tool, fail, reason) => {
    const result = await run(tool, READING_ARGS[tool], { FAKE_IPMI_FAIL: fail });
    expect(result.code).toBe(1);
    expect(result.text).toBe('');
    expect(parseIpmiError(result.stderr)?.reason).toBe(reason);
    expect(() => parseDcmiPowerReading(result.text + result.stderr)).toThrow(IpmiError);
  });

  it('the unsupported message of FreeIPMI is the Cisco capture', async () => {
    const result = await run('ipmi-dcmi', READING_ARGS['ipmi-dcmi'], { FAKE_IPMI_FAIL: 'unsupported' });
    expect(result.stderr).toBe(loadIpmiCapture('ipmi-exporter-1__ipmi-dcmi-error-command-invalid-or-unsupported-cisco').text);
  });

  it('exit: nothing printed, the exit code asked for, after the calls asked for', async () => {
    const log = scratchLog();
    const env = { FAKE_IPMI_FAIL: 'exit', FAKE_IPMI_EXIT_CODE: '7', FAKE_IPMI_AFTER_CALLS: '1', FAKE_IPMI_CALL_LOG: log };
    const first = await run('ipmitool', READING_ARGS.ipmitool, env);
    expect(first.code).toBe(0);
    expect(parseDcmiPowerReading(first.text).powerWatts).toBe(197);
    const second = await run('ipmitool', READING_ARGS.ipmitool, env);
    expect(second).toMatchObject({ code: 7, text: '', stderr: '' });
  });

  it('crash: half the reading, no final newline, exit 255', async () => {
    const result = await run('ipmitool', READING_ARGS.ipmitool, { FAKE_IPMI_FAIL: 'crash' });
    expect(result.code).toBe(255);
    const full = loadIpmiCapture('rabe-zabbix-101__ipmitool-dcmi-power-reading-activated').text;
    expect(result.text.length).toBeGreaterThan(0);
    expect(result.text.length).toBeLessThan(full.length);
    expect(full.startsWith(result.text)).toBe(true);
    expect(result.text.endsWith('\n')).toBe(false);
  });

  it('garbage: bytes that are no reading, exit 0', async () => {
    const result = await run('ipmi-dcmi', READING_ARGS['ipmi-dcmi'], { FAKE_IPMI_FAIL: 'garbage' });
    expect(result.code).toBe(0);
    expect(result.stdout.includes(Buffer.from([0xff, 0xfe]))).toBe(true);
    expect(() => parseDcmiPowerReading(result.text)).toThrow(expect.objectContaining({ reason: 'unrecognised_output' }));
  });

  it('slow: the reading, no sooner than the latency', async () => {
    const result = await run('ipmitool', READING_ARGS.ipmitool, { FAKE_IPMI_FAIL: 'slow', FAKE_IPMI_LATENCY_MS: '300' });
    expect(result.code).toBe(0);
    expect(parseDcmiPowerReading(result.text).powerWatts).toBe(197);
    expect(result.ms).toBeGreaterThanOrEqual(300);
  });

  it('hang: silent and alive, deaf to SIGTERM when asked, and a group kill leaves no process behind', async () => {
    const log = scratchLog();
    const started = start('ipmitool', READING_ARGS.ipmitool, { FAKE_IPMI_FAIL: 'hang', FAKE_IPMI_IGNORE_SIGTERM: '1', FAKE_IPMI_GRANDCHILD: '1', FAKE_IPMI_CALL_LOG: log });
    await until(() => {
      try {
        return readFileSync(log, 'utf8').includes('grandchildPid');
      } catch {
        return false;
      }
    });
    const { pid, grandchildPid } = JSON.parse(readFileSync(log, 'utf8').trim()) as { pid: number; grandchildPid: number };
    expect(pid).toBe(started.pid); // the launcher exec'd node: one process, the group leader
    expect(alive(grandchildPid)).toBe(true);
    killGroup(started.pid, 'SIGTERM');
    // The SIGTERM is ignored: the fake is still there once a signal it handles (SIGKILL) ends it.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(started.running()).toBe(true);
    killGroup(started.pid, 'SIGKILL');
    const exit = await started.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(exit.stdout.length).toBe(0);
    await until(() => !alive(grandchildPid));
  });
});
