import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from './args.js';
import { FakeConfigError, parseConfig, type FailMode, type FakeConfig, type Tool } from './config.js';

const DEACTIVATED_IPMITOOL = 'phosphor-host-ipmid-167__ipmitool-dcmi-power-reading-zero-deactivated-epoch';
const UNSUPPORTED_FREEIPMI = 'ipmi-exporter-1__ipmi-dcmi-error-command-invalid-or-unsupported-cisco';
const SESSION_IPMITOOL = 'ha-ipmi-27__ipmitool-lan-interface-errors';
const SDR_CAPTURES = { sdr: 'ha-ipmi-13__ipmitool-sdr-type-current-dell-Pwr-Consumption', sensor: 'ha-ipmi-27__ipmitool-sensor-grep-watts-dell-r710-system-level' } as const;

// Messages with no capture in tools/fixtures/ipmi/: the tools' own format strings, filled in as they would be.
// ipmitool's "DCMI request failed because: %s (%x)" with completion code c1; its device error as quoted in the
// ha-ipmi-27 note; FreeIPMI's "<function>: <error>" form, as in the Cisco capture.
const SYNTHETIC: Record<Tool, Record<'unsupported' | 'no-device' | 'session', string>> = {
  ipmitool: {
    unsupported: 'DCMI request failed because: Invalid command (c1)\n',
    'no-device': 'Could not open device at /dev/ipmi0 or /dev/ipmi/0 or /dev/ipmidev/0: No such file or directory\n',
    session: '',
  },
  'ipmi-dcmi': {
    unsupported: '',
    'no-device': 'ipmi_ctx_open_inband: could not find inband device\n',
    session: 'ipmi_ctx_open_outofband_2_0: password invalid\n',
  },
};

// Two lines a confused terminal or a half-written buffer might leave, one of them not even valid UTF-8.
const GARBAGE = Buffer.concat([Buffer.from('\u001b[31m'), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(' garbage ✗ 0xDEADBEEF\n-- not a reading --\n')]);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function finish(code: number): void {
  // Let both pipes drain before exiting.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

/** The number of earlier calls in the log (0 without one): this call's index. */
function callIndex(callLog: string | undefined): number {
  if (callLog === undefined) return 0;
  try {
    return readFileSync(callLog, 'utf8').split('\n').filter((line) => line !== '').length;
  } catch {
    return 0;
  }
}

/** Runs the fake `tool` with this process's arguments and FAKE_IPMI_* environment. */
export async function main(tool: Tool): Promise<void> {
  process.stdout.on('error', () => process.exit(141)); // the reader went away (EPIPE), as SIGPIPE would end it
  let config: FakeConfig;
  try {
    config = parseConfig(tool, process.env);
  } catch (error) {
    process.stderr.write(`fake-ipmitool: ${error instanceof FakeConfigError ? error.message : String(error)}\n`);
    return process.exit(64);
  }
  const capture = (name: string): string => {
    try {
      return readFileSync(join(config.fixturesDir, `${name}.txt`), 'utf8');
    } catch {
      process.stderr.write(`fake-ipmitool: no capture ${name}.txt in ${config.fixturesDir}\n`);
      return process.exit(64);
    }
  };

  const call = callIndex(config.callLog);
  let grandchildPid: number | undefined;
  if (config.grandchild) {
    // Same process group, no pipes of ours: only a kill of the whole group ends it.
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
    grandchildPid = child.pid;
    child.unref();
  }
  if (config.callLog !== undefined) {
    appendFileSync(config.callLog, `${JSON.stringify({ call, pid: process.pid, argv: process.argv.slice(2), tool, ...(grandchildPid === undefined ? {} : { grandchildPid }) })}\n`);
  }
  if (config.ignoreSigterm) process.on('SIGTERM', () => undefined);

  const command = parseArgs(tool, process.argv.slice(2));
  if (command.kind === 'version') {
    process.stdout.write(tool === 'ipmitool' ? 'ipmitool version 1.8.19 (fake-ipmitool)\n' : 'ipmi-dcmi - 1.6.14 (fake-ipmitool)\n');
    return finish(0);
  }
  if (command.kind === 'invalid') {
    process.stderr.write(`${command.message}\n`);
    return finish(1);
  }

  const mode: FailMode = call >= config.afterCalls ? config.fail : 'none';
  await sleep(mode === 'slow' || mode === 'none' ? config.latencyMs : 0);
  const answer =
    command.kind === 'sdr'
      ? capture(config.sdrCapture ?? SDR_CAPTURES[command.what])
      : mode === 'deactivated'
        ? tool === 'ipmitool'
          ? capture(DEACTIVATED_IPMITOOL)
          : // No deactivated FreeIPMI capture exists: the activated one with FreeIPMI's word for the other state.
            capture(config.captures[0]!).replace(/(Power Measurement\s*:\s*)Active/, '$1Not Available')
        : capture(config.captures[call % config.captures.length]!);

  switch (mode) {
    case 'none':
    case 'slow':
    case 'deactivated':
      process.stdout.write(answer);
      return finish(0);
    case 'hang':
      setInterval(() => undefined, 1 << 30); // alive, silent, killed like anything else
      return;
    case 'exit':
      return finish(config.exitCode ?? 1);
    case 'crash':
      process.stdout.write(answer.slice(0, Math.ceil(answer.length / 2)).replace(/\n+$/, ''));
      return finish(config.exitCode ?? 255);
    case 'garbage':
      process.stdout.write(GARBAGE);
      return finish(config.exitCode ?? 0);
    case 'unsupported':
    case 'no-device':
    case 'session': {
      const real = mode === 'unsupported' && tool === 'ipmi-dcmi' ? UNSUPPORTED_FREEIPMI : mode === 'session' && tool === 'ipmitool' ? SESSION_IPMITOOL : undefined;
      process.stderr.write(real === undefined ? SYNTHETIC[tool][mode] : capture(real));
      return finish(config.exitCode ?? 1);
    }
  }
}
