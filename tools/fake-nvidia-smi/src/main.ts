import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs, type Command } from './args.js';
import { fileURLToPath } from 'node:url';
import { FakeConfigError, latencyFor, parseConfig, type FakeConfig, type PmonFailMode } from './config.js';
import { defaultFixturesDir, loadMachine, type Machine } from './machines.js';
import { answerComputeApps, formatPmonInterval, NOT_SUPPORTED_CAPTURE, parsePidMap, parsePmonReplay, pmonCaptureFile, pmonRowsFor, remapPids, type PmonReplay } from './pmon.js';
import { answerQuery, type CaptureTable } from './query.js';

// nvidia-smi's words, from the captures and public reports (see README). They go to stdout unless
// FAKE_NVIDIA_SMI_MESSAGE_STREAM=stderr: the invalid-field one is known to be on stdout.
const INVALID_ARGUMENTS = "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n";
const NO_DEVICES = 'No devices were found\n';
const NO_DRIVER = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n";
const NO_NVML =
  "NVIDIA-SMI couldn't find libnvidia-ml.so library in your system. Please make sure that the NVIDIA Display Driver is properly installed and present in your system.\nPlease also try adding directory that contains libnvidia-ml.so to your system PATH.\n";
const LOST_GPU_CAPTURE = 'issue__minershive-hiveos-linux-61__gpu-lost__nvidia-smi-message.txt';
/** tools/fixtures/nvidia-smi-pmon, from src/ or dist/ alike. */
const PMON_FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/nvidia-smi-pmon/', import.meta.url));
// Two lines a confused terminal or a half-written buffer might leave, one of them not even valid UTF-8.
const GARBAGE = Buffer.concat([Buffer.from('\u001b[31m'), Buffer.from([0xff, 0xfe, 0x00]), Buffer.from(' garbage ✗ 0xDEADBEEF\n-- not csv --\n')]);

/** Exit codes: NVML's return code of the failure, as nvidia-smi uses (18 was observed for a version mismatch). */
const EXIT_CODES: Record<Exclude<PmonFailMode, 'none' | 'hang' | 'garbage'>, number> = {
  'not-supported': 3,
  exit: 1,
  crash: 255,
  'gpu-lost': 15,
  'no-devices': 6,
  'no-driver': 9,
  'no-nvml': 12,
  'driver-mismatch': 18,
};

/** The pid map of FAKE_NVIDIA_SMI_PMON_PIDS_FILE now; none while the file does not exist yet. */
function readPidMap(file: string | undefined): Map<number, number> {
  if (file === undefined) return new Map();
  try {
    return parsePidMap(readFileSync(file, 'utf8'));
  } catch {
    return new Map();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function finish(code: number): void {
  // Let both pipes drain before exiting.
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

async function main(): Promise<void> {
  process.stdout.on('error', () => process.exit(141)); // the reader went away (EPIPE), as SIGPIPE would end it
  let config: FakeConfig;
  let machine: Machine;
  try {
    config = parseConfig(process.env);
    machine = loadMachine(config.capture, config.fixturesDir);
  } catch (error) {
    process.stderr.write(`fake-nvidia-smi: ${error instanceof FakeConfigError ? error.message : String(error)}\n`);
    process.exit(64);
  }
  const fixturesDir = config.fixturesDir ?? defaultFixturesDir;
  const message = (text: string): void => void (config.messageStream === 'stderr' ? process.stderr : process.stdout).write(text);

  /** Acts out the configured failure; `partial` is the output a crash cuts in half. */
  function fail(mode: Exclude<PmonFailMode, 'none' | 'garbage'>, partial: string): void {
    if (mode === 'hang') {
      setInterval(() => undefined, 1 << 30); // alive, silent, killed like anything else
      return;
    }
    if (mode === 'crash') process.stdout.write(partial.slice(0, Math.ceil(partial.length / 2)).replace(/\n+$/, ''));
    if (mode === 'gpu-lost') message(readFileSync(join(fixturesDir, LOST_GPU_CAPTURE), 'utf8'));
    if (mode === 'no-devices') message(NO_DEVICES);
    if (mode === 'not-supported') message(readFileSync(join(PMON_FIXTURES_DIR, `${NOT_SUPPORTED_CAPTURE}.txt`), 'utf8'));
    if (mode === 'no-driver') message(NO_DRIVER);
    if (mode === 'no-nvml') message(NO_NVML);
    if (mode === 'driver-mismatch') {
      message(`Failed to initialize NVML: Driver/library version mismatch\n${machine.nvmlVersion === undefined ? '' : `NVML library version: ${machine.nvmlVersion}\n`}`);
    }
    finish(config.exitCode ?? EXIT_CODES[mode]);
  }

  /** Prints one call's (or tick's) output, or the failure due at this tick. Returns false when the run is over. */
  async function emit(tick: number, text: string, failMode: PmonFailMode = config.fail, afterTicks = config.afterTicks): Promise<boolean> {
    await sleep(latencyFor(tick, config.latencyMs));
    const mode = tick >= afterTicks ? failMode : 'none';
    if (mode !== 'none' && mode !== 'garbage') {
      fail(mode, text);
      return false;
    }
    if (mode === 'garbage') process.stdout.write(GARBAGE);
    process.stdout.write(text);
    return true;
  }

  const loadPmonReplay = (): PmonReplay => parsePmonReplay(readFileSync(join(PMON_FIXTURES_DIR, `${pmonCaptureFile(config.pmonCapture)}.txt`), 'utf8'));

  const tableFor = (tick: number): CaptureTable =>
    config.state === 'idle' ? machine.idle : config.state === 'load' ? machine.load : tick % 2 === 0 ? machine.idle : machine.load;

  async function run(command: Command): Promise<void> {
    switch (command.kind) {
      case 'usage':
      case 'version':
      case 'help-query-gpu': {
        const text = command.kind === 'usage' ? machine.usageText : command.kind === 'version' ? machine.versionText : machine.helpQueryGpuText;
        if (text === undefined) {
          process.stderr.write(`fake-nvidia-smi: capture ${machine.name} has no ${command.kind} output\n`);
          return finish(2);
        }
        await sleep(latencyFor(0, config.latencyMs));
        process.stdout.write(text);
        return finish(0);
      }
      case 'list':
        if (await emit(0, machine.listText)) finish(0);
        return;
      case 'invalid':
        message(INVALID_ARGUMENTS);
        return finish(2);
      case 'unsupported':
        process.stderr.write(`fake-nvidia-smi: ${command.what} is not emulated\n`);
        return finish(2);
      case 'query-compute-apps': {
        const answer = answerComputeApps(pmonRowsFor(loadPmonReplay(), 0, undefined), tableFor(0), command.fields, command.format);
        if (answer.kind === 'invalid-field') {
          message(answer.message);
          return finish(2);
        }
        if (await emit(0, answer.text)) finish(0);
        return;
      }
      case 'pmon': {
        const replay = loadPmonReplay();
        const layout = config.pmonLayout === 'capture' ? replay.layout : config.pmonLayout;
        const present = new Set(replay.samples.flatMap((sample) => sample.rows.map((row) => row.gpuIndex)));
        if (command.gpus?.some((gpu) => !present.has(gpu))) {
          message(NO_DEVICES);
          return finish(EXIT_CODES['no-devices']);
        }
        const intervalMs = config.pmonDelayMs ?? command.delaySeconds * 1000;
        const start = performance.now();
        let printedRows = 0;
        for (let tick = 0; command.count === undefined || tick < command.count; tick++) {
          await sleep(start + tick * intervalMs - performance.now());
          const rows = remapPids(pmonRowsFor(replay, tick, command.gpus), readPidMap(config.pmonPidsFile));
          const interval = formatPmonInterval(layout, command.select, rows, printedRows, config.pmonHeaderEvery);
          printedRows = interval.printedRows;
          if (!(await emit(tick, interval.text, config.pmonFail, config.pmonAfterTicks))) return;
        }
        return finish(0);
      }
      case 'query': {
        const first = answerQuery(tableFor(0), machine.help, command.fields, command.format);
        if (first.kind === 'invalid-field') {
          message(first.message);
          return finish(2);
        }
        const start = performance.now();
        for (let tick = 0; ; tick++) {
          if (command.intervalMs !== undefined) await sleep(start + tick * command.intervalMs - performance.now());
          const answer = tick === 0 ? first : answerQuery(tableFor(tick), machine.help, command.fields, command.format);
          if (answer.kind !== 'ok') throw new Error('unreachable: the fields were checked on the first tick');
          const header = tick === 0 && !command.format.noheader ? `${answer.headerLine}\n` : '';
          if (!(await emit(tick, header + answer.rowLines.map((line) => `${line}\n`).join('')))) return;
          if (command.intervalMs === undefined) return finish(0);
        }
      }
    }
  }

  await sleep(config.startDelayMs);
  await run(parseArgs(process.argv.slice(2)));
}

void main();
