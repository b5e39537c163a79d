// nvidia-smi failing in each of the ways a real one does, while the built exporter runs: each failure is met and
// counted, the sampler keeps its cadence through it (ticks advance, none missed), every scrape is answered, at most
// one -lms nvidia-smi runs at a time (pmon's children are counted apart, in pmon.test.ts), and none is left after a stop.
import { sampleValue, until, type SpawnedServer } from '@proj/fixtures';
import { describe, expect, it } from 'vitest';
import { useHarness } from './harness.js';

const { start } = useHarness();

const scrape = async (server: SpawnedServer) => {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
};

const value = (body: string, name: string, labels: Record<string, string> = {}) => sampleValue(body, name, labels) ?? 0;
const sampler = (body: string) => ({ ticks: value(body, 'gpu_exporter_sampler_ticks_total'), missed: value(body, 'gpu_exporter_sampler_ticks_missed_total') });

describe.each([
  // [mode, ticks answered before failing, what shows the failure was met and counted (and, where it can, recovered from)]
  [
    'hang',
    '2',
    (body: string) =>
      value(body, 'gpu_exporter_nvidia_smi_stalls_total') >= 2 &&
      value(body, 'gpu_exporter_nvidia_smi_restarts_total') >= 2 &&
      value(body, 'gpu_exporter_nvidia_smi_exits_total', { code: 'signal_SIGKILL' }) >= 2,
  ],
  ['crash', '1', (body: string) => value(body, 'gpu_exporter_nvidia_smi_exits_total', { code: '255' }) >= 3 && value(body, 'gpu_exporter_nvidia_smi_restarts_total') >= 3],
  [
    'garbage',
    '1',
    (body: string) =>
      value(body, 'gpu_exporter_read_errors_total', { reason: 'column_count' }) >= 4 &&
      value(body, 'gpu_exporter_nvidia_smi_up') === 1 &&
      value(body, 'gpu_power_draw_watts', { gpu_id: '0' }) > 0 &&
      value(body, 'gpu_exporter_nvidia_smi_restarts_total') === 0,
  ],
  [
    'gpu-lost',
    '2',
    // counted, nvidia-smi exited 15, and the restarted one answers again (until the fake loses the GPU once more)
    (body: string) =>
      value(body, 'gpu_exporter_read_errors_total', { reason: 'gpu_lost' }) >= 2 &&
      value(body, 'gpu_exporter_nvidia_smi_exits_total', { code: '15' }) >= 1 &&
      value(body, 'gpu_exporter_nvidia_smi_restarts_total') >= 1 &&
      value(body, 'gpu_exporter_nvidia_smi_up') === 1,
  ],
] as const)('gpu_exporter while nvidia-smi fails: %s', (mode, afterTicks, handled) => {
  it('handles and counts it, keeps sampling on time, answers every scrape, runs one nvidia-smi at most and leaves none behind', async () => {
    const server = await start({ FAKE_NVIDIA_SMI_FAIL: mode, FAKE_NVIDIA_SMI_AFTER_TICKS: afterTicks }, '--interval', '100ms');
    const { fake } = server;
    const first = sampler(await scrape(server));

    let most = 0;
    let body = '';
    const deadline = Date.now() + 60_000;
    do {
      if (Date.now() > deadline) throw new Error(`the ${mode} failure was not handled in time:\n${body}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      most = Math.max(most, fake.pids('query').length);
      body = await scrape(server).catch((error: unknown) => {
        throw new Error(`scrape failed (${String(error)}); the exporter wrote:\n${server.stderr()}`, { cause: error });
      });
    } while (!handled(body));

    const last = sampler(body);
    expect(last.ticks).toBeGreaterThan(first.ticks);
    expect(last.missed).toBe(0);
    // a failing nvidia-smi is replaced, never piled up
    expect(most).toBeLessThanOrEqual(1);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);

    const { code } = await server.stop('SIGTERM');
    expect(code).toBe(0);
    await until(() => fake.pids().length === 0, 3000);
  }, 90_000);
});
