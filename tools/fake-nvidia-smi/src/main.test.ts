import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { loadNvidiaSmiCapture, loadPmonCapture, queryGpuFieldsOf, until } from '@proj/fixtures';
import {
  createPmonStreamParser,
  createQueryStreamParser,
  parseComputeApps,
  parsePmon,
  parseGpuList,
  parseHelpQueryGpu,
  parseNvidiaSmiError,
  parseQueryCsv,
  type PmonSample,
  type QueryRow,
  type QueryStreamEvent,
} from '@proj/nvsmi-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { capturePrefix, machineNames } from './machines.js';

// The launcher, so every test also runs the path the exporter will be given. Needs `pnpm nx run
// @proj/fake-nvidia-smi:build` (the nx test target depends on build).
const LAUNCHER = fileURLToPath(new URL('../nvidia-smi', import.meta.url));

interface Run {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** stdout chunks with their arrival time in ms since spawn. */
  readonly chunks: { atMs: number; data: Buffer }[];
  stdout(): Buffer;
  stderr(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;
}

const running: Run[] = [];
afterEach(() => {
  for (const run of running.splice(0)) {
    // Only a run still going: the group id of one that ended may since belong to another test's process.
    if (run.child.exitCode !== null || run.child.signalCode !== null) continue;
    try {
      process.kill(-run.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function start(args: readonly string[], env: Record<string, string> = {}): Run {
  const started = performance.now();
  const child = spawn(LAUNCHER, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...env } });
  const chunks: { atMs: number; data: Buffer }[] = [];
  let stderr = '';
  child.stdout.on('data', (data: Buffer) => chunks.push({ atMs: performance.now() - started, data }));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, atMs: performance.now() - started })),
  );
  const run = { child, chunks, stdout: () => Buffer.concat(chunks.map((chunk) => chunk.data)), stderr: () => stderr, exited };
  running.push(run);
  return run;
}

/** Runs the fake to its exit. */
async function runToExit(args: readonly string[], env: Record<string, string> = {}) {
  const run = start(args, env);
  const { code, signal, atMs } = await run.exited;
  return { code, signal, atMs, stdout: run.stdout().toString('utf8'), stderr: run.stderr() };
}

/** Feeds a run's stdout, as it arrived, to the stream parser; batch events carry their arrival time. */
function streamEvents(run: Run, options: Parameters<typeof createQueryStreamParser>[0]): (QueryStreamEvent & { atMs: number })[] {
  const parser = createQueryStreamParser(options);
  return run.chunks.flatMap((chunk) => parser.push(chunk.data).map((event) => ({ ...event, atMs: chunk.atMs })));
}
const batchesOf = (events: readonly QueryStreamEvent[]) => events.flatMap((event) => (event.type === 'batch' ? [event.rows] : []));
const texts = (rows: readonly QueryRow[], field: string) => rows.map((row) => row.get(field)?.text);

const PREFIX_H100 = capturePrefix('h100')!;
const realMachines = machineNames().filter((name) => capturePrefix(name) !== undefined);

describe('answers like the real nvidia-smi, from the captures', () => {
  it.each(realMachines)('%s: a full all-fields query prints the capture byte for byte (idle and load)', async (name) => {
    const prefix = capturePrefix(name)!;
    const states = name === 'rtx-2080-super-465' ? [['idle', 'query-gpu-all-fields_csv']] : [['idle', 'idle_query-gpu-all-fields_csv'], ['load', 'load_query-gpu-all-fields_csv']];
    for (const [state, what] of states) {
      const capture = loadNvidiaSmiCapture(`${prefix}__${what}`);
      const fields = queryGpuFieldsOf(capture.command!)!;
      const result = await runToExit([`--query-gpu=${fields.join(',')}`, '--format=csv'], { FAKE_NVIDIA_SMI_CAPTURE: name, FAKE_NVIDIA_SMI_STATE: state! });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(capture.text);
    }
  });

  it.each([
    ['--help-query-gpu', 'help-query-gpu'],
    ['-L', 'list-L'],
    ['--list-gpus', 'list-L'],
    ['--version', 'version'],
    ['-h', 'help-h'],
  ])('%s prints the %s capture', async (arg, what) => {
    const result = await runToExit([arg]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(loadNvidiaSmiCapture(`${PREFIX_H100}__${what}`).text);
  });

  describe.each([
    ['csv', { noheader: false, nounits: false }],
    ['csv,noheader', { noheader: true, nounits: false }],
    ['csv,nounits', { noheader: false, nounits: true }],
    ['csv,noheader,nounits', { noheader: true, nounits: true }],
  ])('a picked subset with --format=%s', (format, { noheader, nounits }) => {
    const fields = ['index', 'gpu_name', 'gpu_uuid', 'power.draw', 'power.draw.instant', 'power.limit', 'temperature.gpu', 'utilization.gpu', 'utilization.encoder', 'utilization.decoder', 'memory.used', 'memory.total', 'clocks.gr', 'clocks.sm', 'clocks.mem', 'encoder.stats.averageLatency', 'fan.speed'];

    it.each(['h100', 'h100-mig', 'rtx-4080-super'])('parses to the same values as the capture (%s)', async (name) => {
      const capture = loadNvidiaSmiCapture(`${capturePrefix(name)}__load_query-gpu-all-fields_csv`);
      const expected = parseQueryCsv(capture.text, { header: true }).rows[0]!;
      const result = await runToExit([`--query-gpu=${fields.join(',')}`, `--format=${format}`], { FAKE_NVIDIA_SMI_CAPTURE: name, FAKE_NVIDIA_SMI_STATE: 'load' });
      expect(result.code).toBe(0);
      const help = await runToExit(['--help-query-gpu'], { FAKE_NVIDIA_SMI_CAPTURE: name });
      const table = parseQueryCsv(result.stdout, { header: !noheader, fields, help: parseHelpQueryGpu(help.stdout) });
      expect(table.errors).toEqual([]);
      expect(table.rows).toHaveLength(1);
      const row = table.rows[0]!;
      expect([...row.keys()]).toEqual(['index', 'name', 'uuid', 'power.draw', 'power.draw.instant', 'power.limit', 'temperature.gpu', 'utilization.gpu', 'utilization.encoder', 'utilization.decoder', 'memory.used', 'memory.total', 'clocks.current.graphics', 'clocks.current.sm', 'clocks.current.memory', 'encoder.stats.averageLatency', 'fan.speed']);
      for (const [field, value] of row) {
        const want = expected.get(field)!;
        if (want.kind === 'number') {
          // nounits drops the unit from the cell; a header still names it
          const text = nounits && want.unit !== undefined ? want.text.slice(0, -(want.unit.length + 1)) : want.text;
          expect(value).toEqual({ ...want, unit: noheader && nounits ? undefined : want.unit, text });
        } else {
          expect(value).toEqual(want);
        }
      }
      if (!noheader) expect(result.stdout.split('\n')[0]).toContain('name, uuid, power.draw [W]');
      if (nounits) expect(result.stdout).not.toMatch(/\d (W|MiB|MHz|%)\b/);
    });
  });

  it('an unknown field fails the whole query: exit 2, the message on stdout, as captured', async () => {
    const result = await runToExit(['--query-gpu=device_minor,gpu_uuid,pci.bus_id', '--format=csv,noheader,nounits']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe(loadNvidiaSmiCapture('issue__CoHDI-composable-resource-operator-37__invalid-field__stdout').text);
    expect(result.stderr).toBe('');
  });

  it('the 465 driver knows no utilization.encoder', async () => {
    const result = await runToExit(['--query-gpu=index,utilization.encoder', '--format=csv'], { FAKE_NVIDIA_SMI_CAPTURE: 'rtx-2080-super-465' });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('Field "utilization.encoder" is not a valid field to query.\n\n');
    const ok = await runToExit(['--query-gpu=index,utilization.gpu,encoder.stats.sessionCount', '--format=csv,noheader'], { FAKE_NVIDIA_SMI_CAPTURE: 'rtx-2080-super-465' });
    expect(ok.stdout).toBe('0, 0 %, 0\n');
  });

  it('rejects arguments it does not know as nvidia-smi does, and names what it does not emulate', async () => {
    expect(await runToExit(['-q'])).toMatchObject({ code: 2, stdout: "Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n" });
    expect(await runToExit([])).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('not emulated') });
    expect(await runToExit(['--version'], { FAKE_NVIDIA_SMI_CAPTURE: 'rtx-2080-super-465' })).toMatchObject({ code: 2, stderr: expect.stringContaining('no version output') });
  });

  it('refuses a bad FAKE_NVIDIA_SMI_* value with exit 64, naming it', async () => {
    const result = await runToExit(['-L'], { FAKE_NVIDIA_SMI_FAIL: 'explode' });
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('FAKE_NVIDIA_SMI_FAIL=explode');
    expect((await runToExit(['-L'], { FAKE_NVIDIA_SMI_CAPTURE: 'nope' })).code).toBe(64);
  });

  it('the launcher is executable', () => {
    expect(statSync(LAUNCHER).mode & 0o111).toBe(0o111);
  });
});

describe('loop mode', () => {
  it('-lms: the header once, then one row per GPU per tick, flushed per tick, idle and load alternating', async () => {
    const fields = ['index', 'name', 'power.draw', 'utilization.encoder'];
    const run = start([`--query-gpu=${fields.join(',')}`, '--format=csv', '-lms', '100'], { FAKE_NVIDIA_SMI_CAPTURE: '2gpu' });
    const gpuCount = parseGpuList((await runToExit(['-L'], { FAKE_NVIDIA_SMI_CAPTURE: '2gpu' })).stdout).gpus.length;
    expect(gpuCount).toBe(2);
    await until(() => batchesOf(streamEvents(run, { header: true, fields, gpuCount })).length >= 4, 5000);
    const events = streamEvents(run, { header: true, fields, gpuCount });
    expect(events.filter((event) => event.type === 'header')).toHaveLength(1);
    expect(events.filter((event) => event.type === 'error')).toEqual([]);
    const batches = batchesOf(events);
    expect(batches.slice(0, 4).map((rows) => texts(rows, 'power.draw'))).toEqual([
      ['26.20 W', '39.32 W'],
      ['84.24 W', '111.50 W'],
      ['26.20 W', '39.32 W'],
      ['84.24 W', '111.50 W'],
    ]);
    expect(batches.every((rows) => texts(rows, 'index').join() === '0,1')).toBe(true);
    // each tick arrives on its own, about 100 ms after the last
    const batchTimes = events.filter((event) => event.type === 'batch').map((event) => event.atMs);
    expect(batchTimes[3]! - batchTimes[0]!).toBeGreaterThanOrEqual(250);
    expect(run.child.exitCode).toBeNull();
  });

  it('-l N counts seconds, with noheader: nothing between ticks', async () => {
    const run = start(['--query-gpu=index,power.draw', '--format=csv,noheader,nounits', '-l', '1'], { FAKE_NVIDIA_SMI_STATE: 'load' });
    await until(() => run.stdout().length > 0, 5000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(run.stdout().toString()).toBe('0, 631.95\n');
    await until(() => run.stdout().toString() === '0, 631.95\n0, 631.95\n', 3000);
    expect(run.chunks[1]!.atMs - run.chunks[0]!.atMs).toBeGreaterThanOrEqual(800);
  });
});

describe('failures on demand', () => {
  const query = ['--query-gpu=index,name,power.draw', '--format=csv,noheader,nounits'];
  const loop = [...query, '-lms', '50'];
  const options = { header: false, fields: ['index', 'name', 'power.draw'], gpuCount: 2 } as const;

  it('exit with code N, at once or after K ticks', async () => {
    expect(await runToExit(query, { FAKE_NVIDIA_SMI_FAIL: 'exit', FAKE_NVIDIA_SMI_EXIT_CODE: '3' })).toMatchObject({ code: 3, stdout: '' });
    const run = start(loop, { FAKE_NVIDIA_SMI_CAPTURE: '2gpu', FAKE_NVIDIA_SMI_FAIL: 'exit', FAKE_NVIDIA_SMI_AFTER_TICKS: '3' });
    expect((await run.exited).code).toBe(1);
    expect(batchesOf(streamEvents(run, options))).toHaveLength(3);
  });

  it('hang after K ticks: silent but alive until killed, and a plain SIGTERM still ends it', async () => {
    const run = start(loop, { FAKE_NVIDIA_SMI_CAPTURE: '2gpu', FAKE_NVIDIA_SMI_FAIL: 'hang', FAKE_NVIDIA_SMI_AFTER_TICKS: '2' });
    await until(() => batchesOf(streamEvents(run, options)).length === 2, 5000);
    const seen = run.stdout().length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(run.stdout().length).toBe(seen);
    expect(run.child.exitCode).toBeNull();
    process.kill(-run.child.pid!, 'SIGKILL');
    expect(await run.exited).toMatchObject({ code: null, signal: 'SIGKILL' });

    const oneShot = start(query, { FAKE_NVIDIA_SMI_FAIL: 'hang' });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(oneShot.child.exitCode).toBeNull();
    process.kill(oneShot.child.pid!, 'SIGTERM');
    expect(await oneShot.exited).toMatchObject({ signal: 'SIGTERM' });
    expect(oneShot.stdout().length).toBe(0);
  });

  it('crash after K ticks: half a line without newline, exit 255; the parser loses none of the good batches', async () => {
    const run = start(loop, { FAKE_NVIDIA_SMI_CAPTURE: '2gpu', FAKE_NVIDIA_SMI_FAIL: 'crash', FAKE_NVIDIA_SMI_AFTER_TICKS: '2' });
    expect((await run.exited).code).toBe(255);
    expect(run.stdout().toString().endsWith('\n')).toBe(false);
    const parser = createQueryStreamParser(options);
    const events = [...parser.push(run.stdout()), ...parser.end()];
    expect(batchesOf(events)).toHaveLength(2);
    const errors = events.flatMap((event) => (event.type === 'error' ? [event.error] : []));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((error) => error.reason === 'column_count' || error.reason === 'incomplete_batch')).toBe(true);
  });

  it('garbage lines: typed errors for them, and every batch still whole', async () => {
    const run = start(loop, { FAKE_NVIDIA_SMI_CAPTURE: '2gpu', FAKE_NVIDIA_SMI_FAIL: 'garbage', FAKE_NVIDIA_SMI_AFTER_TICKS: '1' });
    await until(() => batchesOf(streamEvents(run, options)).length >= 4, 5000);
    const events = streamEvents(run, options);
    expect(batchesOf(events).slice(0, 4).map((rows) => texts(rows, 'index').join())).toEqual(['0,1', '0,1', '0,1', '0,1']);
    const errors = events.flatMap((event) => (event.type === 'error' ? [event.error] : []));
    expect(errors.length).toBeGreaterThanOrEqual(6); // two garbage lines per tick from tick 1 on
    expect(errors.every((error) => error.reason === 'column_count')).toBe(true);
    expect(run.stdout().includes(Buffer.from([0xff, 0xfe]))).toBe(true);
  });

  it('slow start: nothing before the delay', async () => {
    const result = await runToExit(['-L'], { FAKE_NVIDIA_SMI_START_DELAY_MS: '600' });
    expect(result.code).toBe(0);
    expect(result.atMs).toBeGreaterThanOrEqual(600);
  });

  it('per-call latency delays each answer', async () => {
    const result = await runToExit(query, { FAKE_NVIDIA_SMI_LATENCY_MS: '500' });
    expect(result.code).toBe(0);
    expect(result.atMs).toBeGreaterThanOrEqual(500);
  });

  it('GPU lost: the real message, exit 15, at once or after K ticks', async () => {
    const lost = loadNvidiaSmiCapture('issue__minershive-hiveos-linux-61__gpu-lost__nvidia-smi-message').text;
    const oneShot = await runToExit(query, { FAKE_NVIDIA_SMI_FAIL: 'gpu-lost' });
    expect(oneShot).toMatchObject({ code: 15, stdout: lost });
    expect(parseNvidiaSmiError(oneShot.stdout)).toMatchObject({ reason: 'gpu_lost', pciBusId: '0000:0A:00.0' });

    const run = start(loop, { FAKE_NVIDIA_SMI_CAPTURE: '2gpu', FAKE_NVIDIA_SMI_FAIL: 'gpu-lost', FAKE_NVIDIA_SMI_AFTER_TICKS: '2' });
    expect((await run.exited).code).toBe(15);
    const parser = createQueryStreamParser(options);
    const events = [...parser.push(run.stdout()), ...parser.end()];
    expect(batchesOf(events)).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({ type: 'error', error: { reason: 'gpu_lost' } });
  });

  it.each([
    ['no-devices', 6, 'no_devices'],
    ['no-driver', 9, 'driver_unreachable'],
    ['no-nvml', 12, 'nvml_library_not_found'],
    ['driver-mismatch', 18, 'driver_version_mismatch'],
  ])('%s: the message real drivers print, exit %d, recognised as %s', async (mode, code, reason) => {
    for (const args of [query, ['-L']]) {
      const result = await runToExit(args, { FAKE_NVIDIA_SMI_FAIL: mode });
      expect(result.code).toBe(code);
      expect(parseNvidiaSmiError(result.stdout)?.reason).toBe(reason);
    }
    const onStderr = await runToExit(query, { FAKE_NVIDIA_SMI_FAIL: mode, FAKE_NVIDIA_SMI_MESSAGE_STREAM: 'stderr' });
    expect(onStderr.stdout).toBe('');
    expect(parseNvidiaSmiError(onStderr.stderr)?.reason).toBe(reason);
  });

  it('the version mismatch names the NVML version of the capture', async () => {
    const result = await runToExit(['-L'], { FAKE_NVIDIA_SMI_FAIL: 'driver-mismatch' });
    expect(result.stdout).toBe('Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 590.48\n');
  });

  it('help and version still answer while the driver is gone', async () => {
    expect(await runToExit(['--help-query-gpu'], { FAKE_NVIDIA_SMI_FAIL: 'no-driver' })).toMatchObject({ code: 0 });
  });
});

describe('pmon', () => {
  const DATARHEI = loadPmonCapture('datarhei-core__pmon-s-um-ffmpeg-multisample').text;
  const RAY = loadPmonCapture('ray-dashboard__pmon-c1-jpg-ofa-3gpu-idle-row').text;
  const fast = { FAKE_NVIDIA_SMI_PMON_DELAY_MS: '50' };
  /** The intervals a run printed so far, as the stream parser gives them (the last one only once the next began). */
  const samplesOf = (run: Run): PmonSample[] => {
    const parser = createPmonStreamParser();
    return run.chunks.flatMap((chunk) => parser.push(chunk.data)).flatMap((event) => (event.type === 'sample' ? [event.sample] : []));
  };
  const pids = (sample: PmonSample) => sample.rows.map((row) => row.pid);

  it('pmon -c 1 on the Ray capture prints it byte for byte (535+ layout, idle GPU row) and exits 0', async () => {
    expect(await runToExit(['pmon', '-c', '1'], { FAKE_NVIDIA_SMI_PMON: 'ray-3gpu' })).toMatchObject({ code: 0, stdout: RAY, stderr: '' });
  });

  it('without -c it loops over the 10 datarhei intervals forever, the 5 ffmpeg pids stable', async () => {
    const run = start(['pmon', '-s', 'um', '-d', '1'], fast);
    await until(() => samplesOf(run).length >= 12, 10_000);
    const samples = samplesOf(run);
    const capture = parsePmon(DATARHEI).samples;
    samples.forEach((sample, tick) => {
      expect(pids(sample)).toEqual([7372, 12176, 20035, 20141, 29591]);
      expect(sample.rows).toEqual(capture[tick % 10]!.rows);
    });
    expect(run.stdout().toString().split('\n').filter((line) => line.startsWith('# gpu')).length).toBeGreaterThanOrEqual(2);
    expect(run.child.exitCode).toBeNull();
  });

  it('-s u, -i and a forced layout; an index the capture lacks is "No devices were found"', async () => {
    const u = await runToExit(['pmon', '-c', '1'], { FAKE_NVIDIA_SMI_PMON_LAYOUT: 'new' });
    expect(parsePmon(u.stdout).columns).toEqual(['gpu', 'pid', 'type', 'sm', 'mem', 'enc', 'dec', 'jpg', 'ofa', 'command']);
    const one = await runToExit(['pmon', '-c', '2', '-i', '1', '-s', 'um'], { ...fast, FAKE_NVIDIA_SMI_PMON: 'ray-3gpu' });
    expect(parsePmon(one.stdout).samples.map((sample) => sample.rows.map((row) => [row.gpuIndex, row.pid, row.smPercent]))).toEqual([[[1, 7175, 86]], [[1, 7175, 86]]]);
    expect(await runToExit(['pmon', '-i', '5'])).toMatchObject({ code: 6, stdout: 'No devices were found\n' });
  });

  it('not supported: the GT 640 words, exit 3, read as not_supported', async () => {
    const result = await runToExit(['pmon', '-s', 'um'], { FAKE_NVIDIA_SMI_PMON_FAIL: 'not-supported' });
    expect(result).toMatchObject({ code: 3, stdout: loadPmonCapture('nvidia-patch-issue89__pmon-gt640-not-supported-error').text });
    expect(() => parsePmon(result.stdout)).toThrow(expect.objectContaining({ reason: 'not_supported' }));
  });

  it('pmon hangs on its own while an -lms child of the same fake keeps ticking, and the reverse', async () => {
    const env = { ...fast, FAKE_NVIDIA_SMI_PMON_FAIL: 'hang', FAKE_NVIDIA_SMI_PMON_AFTER_TICKS: '2' };
    const pmon = start(['pmon', '-s', 'um'], env);
    const loop = start(['--query-gpu=index,power.draw', '--format=csv,noheader', '-lms', '50'], env);
    await until(() => loop.stdout().toString().split('\n').length > 6 && samplesOf(pmon).length === 1, 10_000);
    const seen = pmon.stdout().length;
    await until(() => loop.stdout().toString().split('\n').length > 12, 10_000);
    expect(pmon.stdout().length).toBe(seen); // two intervals printed (the parser holds the second), then silence
    expect(pmon.child.exitCode).toBeNull();

    const reverse = { ...fast, FAKE_NVIDIA_SMI_FAIL: 'hang' };
    const pmonOk = start(['pmon', '-s', 'um'], reverse);
    const loopHung = start(['--query-gpu=index,power.draw', '--format=csv,noheader', '-lms', '50'], reverse);
    await until(() => samplesOf(pmonOk).length >= 4, 10_000);
    expect(loopHung.stdout().length).toBe(0);
    expect(loopHung.child.exitCode).toBeNull();
  });

  it('crash and garbage: half an interval and exit 255; garbage lines reported, every interval still whole', async () => {
    const crash = start(['pmon', '-s', 'um'], { ...fast, FAKE_NVIDIA_SMI_PMON_FAIL: 'crash', FAKE_NVIDIA_SMI_PMON_AFTER_TICKS: '2' });
    expect((await crash.exited).code).toBe(255);
    const parser = createPmonStreamParser();
    const events = [...parser.push(crash.stdout()), ...parser.end()];
    const samples = events.flatMap((event) => (event.type === 'sample' ? [event.sample] : []));
    expect(samples.slice(0, 2).map(pids)).toEqual([
      [7372, 12176, 20035, 20141, 29591],
      [7372, 12176, 20035, 20141, 29591],
    ]);

    const garbage = start(['pmon', '-s', 'um'], { ...fast, FAKE_NVIDIA_SMI_PMON_FAIL: 'garbage', FAKE_NVIDIA_SMI_PMON_AFTER_TICKS: '1' });
    await until(() => samplesOf(garbage).length >= 4, 10_000);
    expect(samplesOf(garbage).slice(0, 4).map(pids)).toEqual(Array(4).fill([7372, 12176, 20035, 20141, 29591]));
    const gp = createPmonStreamParser();
    const errors = gp.push(garbage.stdout()).flatMap((event) => (event.type === 'error' ? [event.error.reason] : []));
    expect(errors.length).toBeGreaterThanOrEqual(6);
    expect(new Set(errors)).toEqual(new Set(['column_count'])); // the garbage lines are too short for a pmon row
  });

  it('--query-compute-apps lists the processes pmon shows, with the GPU from the machine; FAKE_NVIDIA_SMI_FAIL applies', async () => {
    const fields = ['pid', 'name', 'used_memory', 'gpu_uuid'];
    const result = await runToExit([`--query-compute-apps=${fields.join(',')}`, '--format=csv,nounits']);
    expect(result.code).toBe(0);
    const table = parseComputeApps(result.stdout, { header: true, fields });
    expect(table.apps.map((app) => [app.pid, app.processName, app.usedMemoryMiB, app.gpuUuid])).toEqual([
      [7372, 'ffmpeg', 136, 'GPU-00000000-0000-0000-0000-000000000000'],
      [12176, 'ffmpeg', 782, 'GPU-00000000-0000-0000-0000-000000000000'],
      [20035, 'ffmpeg', 1145, 'GPU-00000000-0000-0000-0000-000000000000'],
      [20141, 'ffmpeg', 429, 'GPU-00000000-0000-0000-0000-000000000000'],
      [29591, 'ffmpeg', 435, 'GPU-00000000-0000-0000-0000-000000000000'],
    ]);
    expect(await runToExit(['--query-compute-apps=pid,bogus', '--format=csv'])).toMatchObject({ code: 2, stdout: 'Field "bogus" is not a valid field to query.\n\n' });
    expect(await runToExit(['--query-compute-apps=pid', '--format=csv'], { FAKE_NVIDIA_SMI_FAIL: 'no-driver' })).toMatchObject({ code: 9 });
  });
});
