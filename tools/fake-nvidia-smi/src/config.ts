import { fakeEnv } from '@proj/fixtures/fake-env';
import { pmonCaptureNames } from './pmon.js';

/** A failure the fake acts out, at tick `afterTicks` (a one-shot call is tick 0). */
export type FailMode =
  | 'none'
  /** Print nothing more and exit with `exitCode` (default 1). */
  | 'exit'
  /** Print nothing more and stay alive, answering no signal specially, until killed. */
  | 'hang'
  /** Print half of the tick's output (no newline) and exit 255. */
  | 'crash'
  /** From then on, print two garbage lines (one with invalid UTF-8) before each tick's rows. */
  | 'garbage'
  /** Print the real lost-GPU message and exit 15 (NVML_ERROR_GPU_IS_LOST). */
  | 'gpu-lost'
  /** `No devices were found`, exit 6. */
  | 'no-devices'
  /** `NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. ...`, exit 9. */
  | 'no-driver'
  /** `NVIDIA-SMI couldn't find libnvidia-ml.so library in your system. ...` (two lines), exit 12. */
  | 'no-nvml'
  /** `Failed to initialize NVML: Driver/library version mismatch` and the NVML version, exit 18. */
  | 'driver-mismatch';

/** A failure `pmon` acts out: any FailMode, or pmon's own refusal on a GPU too old for it. */
export type PmonFailMode =
  | FailMode
  /** `Not supported on the device(s)` and `Failed to process command line` (the GT 640 capture), exit 3. */
  | 'not-supported';

/** Which tick's capture a tick prints. */
export type StateMode = 'idle' | 'load' | 'alternate';

/** Everything the environment selects. */
export interface FakeConfig {
  readonly capture: string;
  readonly fixturesDir: string | undefined;
  readonly state: StateMode;
  readonly fail: FailMode;
  readonly afterTicks: number;
  readonly exitCode: number | undefined;
  readonly startDelayMs: number;
  /** Per call (one-shot) or per tick (loop): `[min, max]`. */
  readonly latencyMs: readonly [number, number];
  readonly messageStream: 'stdout' | 'stderr';
  /** The pmon capture replayed (a name from pmonCaptureNames). */
  readonly pmonCapture: string;
  /** The column set pmon prints: the capture's own, or forced to the pre-535 or the 535+ one. */
  readonly pmonLayout: 'capture' | 'old' | 'new';
  /** pmon's failure: FAKE_NVIDIA_SMI_FAIL does not touch pmon, and this touches nothing else. */
  readonly pmonFail: PmonFailMode;
  /** Intervals pmon prints normally before pmonFail. */
  readonly pmonAfterTicks: number;
  /** Overrides `-d` (seconds) with milliseconds, so tests need not wait a second per interval. */
  readonly pmonDelayMs: number | undefined;
  /** pmon prints its header pair again after every N rows (0: only at the start). */
  readonly pmonHeaderEvery: number;
  /** A file of `<capture pid> <pid>` lines read before each pmon interval: those rows report the given pid. */
  readonly pmonPidsFile: string | undefined;
}

const FAIL_MODES: readonly FailMode[] = ['none', 'exit', 'hang', 'crash', 'garbage', 'gpu-lost', 'no-devices', 'no-driver', 'no-nvml', 'driver-mismatch'];
const STATES: readonly StateMode[] = ['idle', 'load', 'alternate'];
// The datarhei capture prints its header pair again after 44 rows, in the middle of an interval.
const PMON_HEADER_EVERY = 44;

/** A FAKE_NVIDIA_SMI_* variable with a value the fake does not understand. */
export class FakeConfigError extends Error {
  override readonly name = 'FakeConfigError';
}

/** Reads the FAKE_NVIDIA_SMI_* variables (see README). Pure; throws FakeConfigError naming a bad variable. */
export function parseConfig(env: Readonly<Record<string, string | undefined>>): FakeConfig {
  const vars = fakeEnv('FAKE_NVIDIA_SMI_', env, (message) => new FakeConfigError(message));
  const { text: read, oneOf } = vars;
  const count = (name: string, fallback: number): number => vars.count(name) ?? fallback;
  const latency = read('LATENCY_MS') ?? '0';
  const range = /^(\d+)(?:-(\d+))?$/.exec(latency);
  if (!range || Number(range[2] ?? range[1]) < Number(range[1])) {
    throw new FakeConfigError(`FAKE_NVIDIA_SMI_LATENCY_MS=${latency}: expected milliseconds, N or MIN-MAX`);
  }
  const exitCode = vars.exitCode('EXIT_CODE');
  return {
    capture: read('CAPTURE') ?? 'h100',
    fixturesDir: read('FIXTURES'),
    state: oneOf('STATE', STATES, 'alternate'),
    fail: oneOf('FAIL', FAIL_MODES, 'none'),
    afterTicks: count('AFTER_TICKS', 0),
    exitCode,
    startDelayMs: count('START_DELAY_MS', 0),
    latencyMs: [Number(range[1]), Number(range[2] ?? range[1])],
    messageStream: oneOf('MESSAGE_STREAM', ['stdout', 'stderr'] as const, 'stdout'),
    pmonCapture: oneOf('PMON', pmonCaptureNames(), 'datarhei-ffmpeg'),
    pmonLayout: oneOf('PMON_LAYOUT', ['capture', 'old', 'new'] as const, 'capture'),
    pmonFail: oneOf<PmonFailMode>('PMON_FAIL', [...FAIL_MODES, 'not-supported'], 'none'),
    pmonAfterTicks: count('PMON_AFTER_TICKS', 0),
    pmonDelayMs: vars.count('PMON_DELAY_MS'),
    pmonHeaderEvery: count('PMON_HEADER_EVERY', PMON_HEADER_EVERY),
    pmonPidsFile: read('PMON_PIDS_FILE'),
  };
}

/** The latency of call or tick `tick`: spread over [min, max] by a fixed sequence, so runs repeat exactly. */
export function latencyFor(tick: number, [min, max]: readonly [number, number]): number {
  return min + ((tick * 7919) % (max - min + 1));
}
