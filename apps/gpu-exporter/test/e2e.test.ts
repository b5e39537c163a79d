// The built exporter as a process, with the fake nvidia-smi acting out real machines and real failures.
import { maskVolatile, parseSamples, runToExit, sampleValue, until, type SpawnedServer } from '@proj/fixtures';
import { expectGolden } from '@proj/fixtures/harness';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENTRY, useHarness } from './harness.js';

const { start, startPlain } = useHarness();

const scrape = async (server: SpawnedServer) => (await fetch(`${server.url}/metrics`)).text();

// Values that grow with time: energy integrates power, the batch age moves. Both are checked unmasked below.
const GPU_VOLATILE = [/^gpu_energy_joules_total$/, /^gpu_exporter_last_batch_age_seconds$/];

describe.each([
  ['h100', 'an H100'],
  ['h100-mig', 'a MIG-enabled H100 ([N/A] utilisation)'],
  ['2gpu', 'two GPUs'],
  ['rtx-2080-super-465', 'a 465 driver without encoder/decoder utilisation fields'],
])('gpu_exporter on %s (%s)', (capture) => {
  it('serves /metrics equal to the golden file (time-dependent values masked)', async () => {
    // A driver whose pmon is not supported: pmon is probed and left off, and /metrics is what it was before pmon.
    const launchedAtMs = performance.now();
    const server = await start({ FAKE_NVIDIA_SMI_CAPTURE: capture, FAKE_NVIDIA_SMI_STATE: 'load', FAKE_NVIDIA_SMI_PMON_FAIL: 'not-supported' }, '--interval', '200ms');
    const energies = (body: string) => parseSamples(body).filter((s) => s.name === 'gpu_energy_joules_total');
    // Two ticks, and two answers from nvidia-smi for every GPU: energy is power integrated between answers.
    await until(async () => {
      const body = await scrape(server);
      return sampleValue(body, 'gpu_exporter_sampler_ticks_total')! >= 2 && energies(body).length > 0 && energies(body).every((s) => s.value > 0);
    });
    const body = await scrape(server);
    const runS = (performance.now() - launchedAtMs) / 1000;
    expect(sampleValue(body, 'gpu_exporter_nvidia_smi_up')).toBe(1);

    // The load capture's power is constant, so each GPU's energy is its power.draw times the time its answers
    // span: after the start, and the same span for every GPU (one answer holds a row per GPU). Only that span
    // depends on timing.
    const spans = energies(body).map((energy) => energy.value / sampleValue(body, 'gpu_power_draw_watts', energy.labels)!);
    expect(spans.length).toBe(sampleValue(body, 'gpu_devices'));
    for (const span of spans) {
      expect(span).toBeGreaterThan(0);
      expect(span).toBeLessThanOrEqual(runS);
      expect(span).toBeCloseTo(spans[0]!, 9);
    }
    // The newest answer's age, on the monotonic clock of both the source and the collector: not negative, and
    // fresh (up is 1 only while it is younger than the 5 s stale limit).
    const ageS = sampleValue(body, 'gpu_exporter_last_batch_age_seconds')!;
    expect(ageS).toBeGreaterThanOrEqual(0);
    expect(ageS).toBeLessThanOrEqual(5);

    await expectGolden(maskVolatile(body, GPU_VOLATILE), fileURLToPath(new URL(`golden/${capture}.prom`, import.meta.url)));
  });
});

describe('gpu_exporter process', () => {
  it('keeps serving without nvidia-smi: gpu_devices 0, info present, /health 200 degraded', async () => {
    const server = await startPlain('--nvidia-smi', '/nonexistent/nvidia-smi');
    const body = await scrape(server);
    expect(sampleValue(body, 'gpu_devices')).toBe(0);
    expect(sampleValue(body, 'gpu_exporter_info', { language: 'typescript' })).toBe(1);
    expect(parseSamples(body).filter((s) => s.name === 'gpu_power_draw_watts')).toEqual([]);
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    const report = (await res.json()) as { status: string; reasons: string[] };
    expect(report.status).toBe('degraded');
    expect(report.reasons[0]).toContain('cannot run /nonexistent/nvidia-smi (ENOENT');
  });

  it('reports no GPU when nvidia-smi finds none, and when the driver is missing', async () => {
    for (const [fail, reason] of [
      ['no-devices', 'No devices were found'],
      ['no-driver', "couldn't communicate with the NVIDIA driver"],
    ] as const) {
      const server = await start({ FAKE_NVIDIA_SMI_FAIL: fail });
      expect(sampleValue(await scrape(server), 'gpu_devices')).toBe(0);
      const report = (await (await fetch(`${server.url}/health`)).json()) as { status: string; reasons: string[] };
      expect(report.status).toBe('degraded');
      expect(report.reasons[0]).toContain(reason);
    }
  });

  it('answers scrapes at once while nvidia-smi hangs, with the last good answer or none', async () => {
    const server = await start({ FAKE_NVIDIA_SMI_FAIL: 'hang', FAKE_NVIDIA_SMI_AFTER_TICKS: '2' }, '--interval', '100ms');
    let servedWhileHung = 0;
    for (let i = 0; i < 30; i++) {
      const body = await scrape(server);
      const watts = parseSamples(body).filter((s) => s.name === 'gpu_power_draw_watts');
      const up = sampleValue(body, 'gpu_exporter_nvidia_smi_up');
      // The last good answer while it is fresh, none once it is stale: never a frozen one, never a half.
      expect(watts.length, `scrape ${i}`).toBe(up === 1 ? 1 : 0);
      expect(sampleValue(body, 'gpu_devices')).toBe(watts.length);
      // An answer a second old or more, served: nvidia-smi had said nothing since, and the scrape did not wait for
      // it (a scrape that waited would carry a new answer, not an old one).
      if (watts.length === 1 && sampleValue(body, 'gpu_exporter_last_batch_age_seconds')! >= 1) servedWhileHung++;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(servedWhileHung).toBeGreaterThan(0);
  });

  it('starts serving without waiting for an nvidia-smi that is slow to start, and leaves none behind when stopped', async () => {
    // The fake sleeps 60 s before answering; the exporter gives it 3 s. Listening with no GPU yet and the probe still
    // running is the proof it did not wait (no stopwatch: a loaded machine would stretch one).
    const server = await start({ FAKE_NVIDIA_SMI_START_DELAY_MS: '60000' });
    const body = await scrape(server);
    expect(sampleValue(body, 'gpu_devices')).toBe(0);
    // the probe is still waiting on nvidia-smi: a stop kills it rather than waiting for it
    expect(server.fake.pids()).toHaveLength(1);
    // Exit 0 is the graceful stop done within the exporter's own 900 ms deadline (past it, it ends by SIGKILL).
    const { code } = await server.stop('SIGTERM');
    expect(code).toBe(0);
    await until(() => server.fake.pids().length === 0, 2000);
  });

  it('exits 0 within a second of SIGTERM and leaves no nvidia-smi behind, pmon included', async () => {
    const server = await start({});
    await until(() => server.fake.pids('query').length === 1 && server.fake.pids('pmon').length === 1);
    // Exit 0 is the graceful stop done within the exporter's own 900 ms deadline (past it, it ends by SIGKILL).
    const { code } = await server.stop('SIGTERM');
    expect(code).toBe(0);
    await until(() => server.fake.pids().length === 0, 2000);
  });

  it('exits 0 by its graceful stop when SIGTERM comes the moment it says it is listening, every time, and leaves no nvidia-smi', async () => {
    const codes: (number | null)[] = [];
    for (let i = 0; i < 20; i++) {
      const server = await start({});
      codes.push((await server.stop('SIGTERM')).code);
      await until(() => server.fake.pids().length === 0, 3000);
    }
    expect(codes).toEqual(Array.from({ length: 20 }, () => 0));
  }, 180_000);

  it('says it is listening even with --log-level error', async () => {
    const server = await start({}, '--log-level', 'error');
    expect(server.stderr()).toMatch(/level=info msg=listening address=http:\/\/127\.0\.0\.1:\d+\n/);
    expect(server.stderr()).not.toContain('msg="starting');
  });

  it('leaves no nvidia-smi behind when it is killed with SIGKILL, even one that hangs', async () => {
    const server = await start({ FAKE_NVIDIA_SMI_FAIL: 'hang', FAKE_NVIDIA_SMI_AFTER_TICKS: '1' });
    await until(() => server.fake.pids('query').length === 1 && server.fake.pids('pmon').length === 1);
    await server.stop('SIGKILL');
    await until(() => server.fake.pids().length === 0, 5000);
  });

  it.each([
    [['--port', '1', '--port', '2'], 'gpu_exporter: --port: given more than once'],
    [['--port', '-1'], 'gpu_exporter: --port: "-1" is not a port number (0-65535)'],
    [['--interval', '10ms'], 'gpu_exporter: --interval: 10ms is out of range (100ms to 30s)'],
    [['--nvidia-smi', ''], 'gpu_exporter: --nvidia-smi: must not be empty'],
    [['--pmon', 'maybe'], 'gpu_exporter: --pmon: "maybe" is not one of auto, on, off'],
    [['--attribute-processes', '^(ffmpeg'], 'gpu_exporter: --attribute-processes: not a regular expression: Invalid regular expression: /^(ffmpeg/: Unterminated group'],
    [['--procfs-root', '/nonexistent/proc'], 'gpu_exporter: --procfs-root: /nonexistent/proc is not a directory'],
  ])('exits 2 with one clear line for %j', async (args, line) => {
    const { code, stderr } = await runToExit(ENTRY, args);
    expect(code).toBe(2);
    expect(stderr).toBe(`${line}\n`);
  });
});
