// The built exporter as a process, with the fake nvidia-smi acting out real machines and real failures.
import { maskVolatile, parseSamples, runToExit, sampleValue, until, type SpawnedServer } from '@proj/fixtures';
import { describe, expect, it } from 'vitest';
import { ENTRY, useHarness } from './harness.js';

const { start, startPlain } = useHarness();

const scrape = async (server: SpawnedServer) => (await fetch(`${server.url}/metrics`)).text();

// Values that grow with time: energy integrates power, the batch age moves.
const GPU_VOLATILE = [/^gpu_energy_joules_total$/, /^gpu_exporter_last_batch_age_seconds$/];

describe.each([
  ['h100', 'an H100'],
  ['h100-mig', 'a MIG-enabled H100 ([N/A] utilisation)'],
  ['2gpu', 'two GPUs'],
  ['rtx-2080-super-465', 'a 465 driver without encoder/decoder utilisation fields'],
])('gpu_exporter on %s (%s)', (capture) => {
  it('serves /metrics equal to the golden file (time-dependent values masked)', async () => {
    // A driver whose pmon is not supported: pmon is probed and left off, and /metrics is what it was before pmon.
    const server = await start({ FAKE_NVIDIA_SMI_CAPTURE: capture, FAKE_NVIDIA_SMI_STATE: 'load', FAKE_NVIDIA_SMI_PMON_FAIL: 'not-supported' }, '--interval', '200ms');
    await until(async () => sampleValue(await scrape(server), 'gpu_exporter_sampler_ticks_total')! >= 2);
    const body = await scrape(server);
    expect(sampleValue(body, 'gpu_exporter_nvidia_smi_up')).toBe(1);
    await expect(maskVolatile(body, GPU_VOLATILE)).toMatchFileSnapshot(`golden/${capture}.prom`);
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
    for (let i = 0; i < 30; i++) {
      const started = Date.now();
      const body = await scrape(server);
      // A scrape that waited on nvidia-smi would take seconds (the hang lasts until the 5 s stall limit).
      expect(Date.now() - started).toBeLessThan(1000);
      const watts = parseSamples(body).filter((s) => s.name === 'gpu_power_draw_watts');
      expect(watts.length).toBeLessThanOrEqual(1);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  it('starts serving without waiting for an nvidia-smi that is slow to start, and leaves none behind when stopped', async () => {
    const started = Date.now();
    const server = await start({ FAKE_NVIDIA_SMI_START_DELAY_MS: '60000' });
    expect(Date.now() - started).toBeLessThan(6000);
    const body = await scrape(server);
    expect(sampleValue(body, 'gpu_devices')).toBe(0);
    // the probe is still waiting on nvidia-smi: a stop kills it rather than waiting for it
    expect(server.fake.pids()).toHaveLength(1);
    const { code, ms } = await server.stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(1000);
    await until(() => server.fake.pids().length === 0, 2000);
  });

  it('exits 0 within a second of SIGTERM and leaves no nvidia-smi behind, pmon included', async () => {
    const server = await start({});
    await until(() => server.fake.pids('query').length === 1 && server.fake.pids('pmon').length === 1);
    const { code, ms } = await server.stop('SIGTERM');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(1000);
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
    [['--attribute-processes', '^(ffmpeg'], 'gpu_exporter: --attribute-processes: "^(ffmpeg" is not a regular expression (Invalid regular expression: /^(ffmpeg/: Unterminated group)'],
  ])('exits 2 with one clear line for %j', async (args, line) => {
    const { code, stderr } = await runToExit(ENTRY, args);
    expect(code).toBe(2);
    expect(stderr).toBe(`${line}\n`);
  });
});
