// nvidia-smi failing in each of the ways a real one does, while the built exporter runs: e2e.test.ts shows each
// failure is handled and counted; these show the sampler keeps its cadence through it (ticks advance, none
// missed), every scrape is answered, at most one nvidia-smi runs at a time, and none is left after a stop.
import { sampleValue, spawnServer, type SpawnedServer } from '@proj/fixtures';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const ENTRY = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const FAKE_DIR = fileURLToPath(new URL('../../../tools/fake-nvidia-smi/', import.meta.url));

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

beforeAll(() => {
  for (const file of [ENTRY, join(FAKE_DIR, 'dist', 'nvidia-smi.js')]) {
    if (!existsSync(file)) throw new Error(`${file} is missing: build first (pnpm nx run-many -t build)`);
  }
});

/** The fake behind a path of its own, so its processes can be counted (and ended if a test fails half-way). */
function privateFake(): { path: string; pids: () => number[] } {
  const dir = mkdtempSync(join(tmpdir(), 'fake-nvsmi-faults-'));
  copyFileSync(join(FAKE_DIR, 'nvidia-smi'), join(dir, 'nvidia-smi'));
  symlinkSync(join(FAKE_DIR, 'dist'), join(dir, 'dist'));
  const script = join(dir, 'dist', 'nvidia-smi.js');
  const pids = () =>
    execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes(script))
      .map((line) => Number(line.trim().split(' ')[0]));
  cleanups.push(() => {
    for (const pid of pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return { path: join(dir, 'nvidia-smi'), pids };
}

const scrape = async (server: SpawnedServer) => {
  const res = await fetch(`${server.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
};

const sampler = (body: string) => ({
  ticks: sampleValue(body, 'gpu_exporter_sampler_ticks_total')!,
  missed: sampleValue(body, 'gpu_exporter_sampler_ticks_missed_total')!,
});

describe.each([
  // [mode, ticks answered first, what shows the failure was met and counted]
  ['hang', '2', (body: string) => (sampleValue(body, 'gpu_exporter_nvidia_smi_stalls_total') ?? 0) >= 1 && (sampleValue(body, 'gpu_exporter_nvidia_smi_restarts_total') ?? 0) >= 1],
  ['crash', '1', (body: string) => (sampleValue(body, 'gpu_exporter_nvidia_smi_exits_total', { code: '255' }) ?? 0) >= 2],
  ['garbage', '1', (body: string) => (sampleValue(body, 'gpu_exporter_read_errors_total', { reason: 'column_count' }) ?? 0) >= 4],
  ['gpu-lost', '2', (body: string) => (sampleValue(body, 'gpu_exporter_read_errors_total', { reason: 'gpu_lost' }) ?? 0) >= 1],
] as const)('gpu_exporter while nvidia-smi fails: %s', (mode, afterTicks, counted) => {
  it('keeps sampling on time, answers every scrape, runs one nvidia-smi at most and leaves none behind', async () => {
    const fake = privateFake();
    const server = await spawnServer(ENTRY, ['--port', '0', '--host', '127.0.0.1', '--nvidia-smi', fake.path, '--interval', '100ms'], {
      env: { FAKE_NVIDIA_SMI_FAIL: mode, FAKE_NVIDIA_SMI_AFTER_TICKS: afterTicks },
    });
    cleanups.push(() => server.stop('SIGKILL'));
    const first = sampler(await scrape(server));

    let most = 0;
    let body = '';
    const deadline = Date.now() + 25_000;
    do {
      if (Date.now() > deadline) throw new Error(`the ${mode} failure was not counted in time:\n${body}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
      most = Math.max(most, fake.pids().length);
      body = await scrape(server);
    } while (!counted(body));

    const last = sampler(body);
    expect(last.ticks).toBeGreaterThan(first.ticks);
    expect(last.missed).toBe(0);
    // a failing nvidia-smi is replaced, never piled up
    expect(most).toBeLessThanOrEqual(1);

    const { code } = await server.stop('SIGTERM');
    expect(code).toBe(0);
    const gone = Date.now() + 3000;
    while (fake.pids().length > 0 && Date.now() < gone) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.pids()).toEqual([]);
  }, 40_000);
});
