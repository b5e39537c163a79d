import { fileURLToPath } from 'node:url';
import { fakeEnv } from '@proj/fixtures/fake-env';

/** Which program the fake plays. */
export type Tool = 'ipmitool' | 'ipmi-dcmi';

/** A failure the fake acts out, from call `afterCalls` on (counted in the call log). */
export type FailMode =
  | 'none'
  /** Print nothing and exit with `exitCode` (default 1). */
  | 'exit'
  /** Print nothing and stay alive until killed (with `ignoreSigterm`, SIGTERM too is ignored). */
  | 'hang'
  /** Print the first half of the answer (no newline) and exit with `exitCode` (default 255). */
  | 'crash'
  /** Print two garbage lines (one not even valid UTF-8) instead of the answer, exit 0. */
  | 'garbage'
  /** Answer normally after `latencyMs` (10 s unless FAKE_IPMI_LATENCY_MS says otherwise). */
  | 'slow'
  /** Print a reading whose power measurement is deactivated, exit 0. */
  | 'deactivated'
  /** The BMC does not implement DCMI: the tool's message on stderr, exit 1. */
  | 'unsupported'
  /** No /dev/ipmi0: the tool's message on stderr, exit 1. */
  | 'no-device'
  /** A LAN session that cannot be set up: the tool's messages on stderr, exit 1. */
  | 'session';

export const FAIL_MODES: readonly FailMode[] = ['none', 'exit', 'hang', 'crash', 'garbage', 'slow', 'deactivated', 'unsupported', 'no-device', 'session'];

/** The captures each tool answers with unless FAKE_IPMI_CAPTURE names others. */
export const DEFAULT_CAPTURES: Record<Tool, string> = {
  ipmitool: 'rabe-zabbix-101__ipmitool-dcmi-power-reading-activated',
  'ipmi-dcmi': 'ceems__ipmi-dcmi-get-system-power-statistics-lowercase-watts',
};

/** The directory of the real captures, from dist/ or src/. */
export const defaultFixturesDir = fileURLToPath(new URL('../../fixtures/ipmi/', import.meta.url));

/** Everything the environment selects. */
export interface FakeConfig {
  /** The readings, one per call in turn (call N prints `captures[N % length]`). */
  readonly captures: readonly string[];
  /** What `ipmitool sdr ...` / `ipmitool sensor` print; undefined: a built-in choice per command. */
  readonly sdrCapture: string | undefined;
  readonly fixturesDir: string;
  readonly fail: FailMode;
  readonly afterCalls: number;
  readonly exitCode: number | undefined;
  readonly latencyMs: number;
  readonly ignoreSigterm: boolean;
  /** Start a child that outlives nothing on its own: a process-group kill must take it too. */
  readonly grandchild: boolean;
  /** A file each call appends one JSON line to (`{"call":N,"pid":P,"argv":[...],"grandchildPid":G}`); also the call counter. */
  readonly callLog: string | undefined;
}

/** A FAKE_IPMI_* variable with a value the fake does not understand. */
export class FakeConfigError extends Error {
  override readonly name = 'FakeConfigError';
}

/** Reads the FAKE_IPMI_* variables (see README) for `tool`. Pure; throws FakeConfigError naming a bad variable. */
export function parseConfig(tool: Tool, env: Readonly<Record<string, string | undefined>>): FakeConfig {
  const { text: read, count, exitCode: exitCodeOf, flag, oneOf } = fakeEnv('FAKE_IPMI_', env, (message) => new FakeConfigError(message));
  const fail = oneOf('FAIL', FAIL_MODES, 'none');
  const exitCode = exitCodeOf('EXIT_CODE');
  const captures = (read('CAPTURE') ?? DEFAULT_CAPTURES[tool]).split(',').map((name) => name.trim());
  if (captures.some((name) => name === '')) throw new FakeConfigError(`FAKE_IPMI_CAPTURE=${read('CAPTURE')}: an empty capture name`);
  const afterCalls = count('AFTER_CALLS') ?? 0;
  const callLog = read('CALL_LOG');
  if ((afterCalls > 0 || captures.length > 1) && callLog === undefined) {
    throw new FakeConfigError('FAKE_IPMI_AFTER_CALLS and a list in FAKE_IPMI_CAPTURE count calls: set FAKE_IPMI_CALL_LOG too');
  }
  return {
    captures,
    sdrCapture: read('SDR_CAPTURE'),
    fixturesDir: read('FIXTURES') ?? defaultFixturesDir,
    fail,
    afterCalls,
    exitCode,
    latencyMs: count('LATENCY_MS') ?? (fail === 'slow' ? 10_000 : 0),
    ignoreSigterm: flag('IGNORE_SIGTERM'),
    grandchild: flag('GRANDCHILD'),
    callLog,
  };
}
