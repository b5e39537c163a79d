// The built exporter with the fake nvidia-smi replaying real pmon captures: per-process utilisation and joules,
// conservation per GPU in scraped /metrics, one of the two children failing while the other goes on, and no child
// left behind.
import { loadPmonCapture, parseSamples, sampleValue, until, type SpawnedServer } from '@proj/fixtures';
import { parsePmon } from '@proj/nvsmi-parser';
import { isRunning } from '@proj/subprocess';
import { describe, expect, it } from 'vitest';
import { useHarness } from './harness.js';
import { DOCKER_CONTAINER_ID, writeProcfsTree } from './procfs.js';

const { start, defer } = useHarness();

const scrape = async (server: SpawnedServer) => (await fetch(`${server.url}/metrics`)).text();
const value = (body: string, name: string, labels: Record<string, string> = {}) => sampleValue(body, name, labels) ?? 0;
const health = async (server: SpawnedServer) => (await (await fetch(`${server.url}/health`)).json()) as { status: string; reasons: string[]; pmon?: string; pmon_pids_visible?: boolean };

const DATARHEI = parsePmon(loadPmonCapture('datarhei-core__pmon-s-um-ffmpeg-multisample').text).samples;
const PIDS = ['7372', '12176', '20035', '20141', '29591'];
// pmon's -d is whole seconds; the fake prints its intervals this often instead, so tests need not wait.
const FAST_PMON = { FAKE_NVIDIA_SMI_PMON_DELAY_MS: '250' };

/** Per GPU: Σ energy_process_gpu_joules_total + energy_gpu_unattributed_joules_total, and gpu_energy_joules_total. */
function balance(body: string): Map<string, { parts: number; whole: number }> {
  const byGpu = new Map<string, { parts: number; whole: number }>();
  const at = (gpu: string) => byGpu.get(gpu) ?? byGpu.set(gpu, { parts: 0, whole: 0 }).get(gpu)!;
  for (const s of parseSamples(body)) {
    if (s.name === 'energy_process_gpu_joules_total' || s.name === 'energy_gpu_unattributed_joules_total') at(s.labels.gpu_id!).parts += s.value;
    if (s.name === 'gpu_energy_joules_total') at(s.labels.gpu_id!).whole += s.value;
  }
  return byGpu;
}

function expectConserved(body: string, gpus: number): void {
  const byGpu = balance(body);
  expect(byGpu.size).toBe(gpus);
  for (const [gpu, { parts, whole }] of byGpu) {
    expect(whole, `GPU ${gpu}`).toBeGreaterThan(0);
    expect(Math.abs(parts - whole), `GPU ${gpu}: ${parts} vs ${whole}`).toBeLessThanOrEqual(1e-9 * whole);
  }
}

/** A /proc holding some of the capture's pids (test/procfs.ts), removed after the test. */
const procfs = () => {
  const tree = writeProcfsTree();
  defer(() => tree.remove());
  return tree.root;
};

describe('gpu_exporter with nvidia-smi pmon (the 5 ffmpeg processes of the datarhei capture)', () => {
  it('serves per-process utilisation, memory and joules, and per GPU Σ processes + unattributed = gpu_energy_joules_total', async () => {
    const server = await start(FAST_PMON, '--interval', '200ms', '--procfs-root', procfs());
    await until(async () => {
      const body = await scrape(server);
      return PIDS.every((pid) => value(body, 'energy_process_gpu_joules_total', { pid }) > 0);
    }, 20_000);
    const body = await scrape(server);
    expect(value(body, 'gpu_exporter_pmon_up')).toBe(1);
    expect(value(body, 'gpu_exporter_nvidia_smi_up')).toBe(1);
    // Each process's utilisation is one the capture printed for it (the fake replays the 10 intervals in a loop).
    for (const pid of PIDS) {
      const sm = parseSamples(body).find((s) => s.name === 'gpu_process_utilization_percent' && s.labels.pid === pid && s.labels.engine === 'enc');
      const printed = DATARHEI.map((sample) => sample.rows.find((row) => String(row.pid) === pid)!.encPercent);
      if (sm === undefined) expect(printed).toContain(undefined);
      else expect(printed).toContain(sm.value);
      expect(sampleValue(body, 'gpu_process_memory_used_bytes', { pid })).toBe(DATARHEI[0]!.rows.find((row) => String(row.pid) === pid)!.fbMiB! * 1048576);
    }
    const labels = parseSamples(body).filter((s) => s.name === 'energy_process_gpu_joules_total').map((s) => s.labels);
    expect(labels.find((l) => l.pid === '7372')).toEqual({ gpu_id: '0', gpu_uuid: 'GPU-00000000-0000-0000-0000-000000000000', pid: '7372', comm: 'ffmpeg', container_id: DOCKER_CONTAINER_ID });
    expect(labels.find((l) => l.pid === '20035')!.container_id).toBe(''); // the pid is a bash in this /proc
    expectConserved(body, 1);
    // ... and again later, after more ticks.
    await until(async () => value(await scrape(server), 'gpu_exporter_sampler_ticks_total') >= value(body, 'gpu_exporter_sampler_ticks_total') + 5);
    expectConserved(await scrape(server), 1);
    expect(await health(server)).toMatchObject({ status: 'ok', pmon: 'running', pmon_pids_visible: true });
  });

  it('runs one pmon child for two GPUs (-i 0,1) and keeps each GPU whole', async () => {
    const server = await start(
      { ...FAST_PMON, FAKE_NVIDIA_SMI_CAPTURE: '2gpu', FAKE_NVIDIA_SMI_PMON: 'ray-3gpu' },
      '--interval',
      '200ms',
      '--attribute-processes',
      '^ray::',
      '--procfs-root',
      procfs(),
    );
    await until(async () => {
      const body = await scrape(server);
      return ['0', '1'].every((gpu_id) => value(body, 'energy_process_gpu_joules_total', { gpu_id, pid: '7175' }) > 0);
    }, 20_000);
    expect(server.fake.pids('pmon')).toHaveLength(1);
    const body = await scrape(server);
    expect(value(body, 'gpu_process_utilization_percent', { gpu_id: '1', pid: '7175', engine: 'sm' })).toBe(86);
    expect(value(body, 'gpu_process_utilization_percent', { gpu_id: '0', pid: '7175', comm: 'ray::TorchGPUWo', engine: 'sm' })).toBe(84);
    expectConserved(body, 2);
    // pid 7175 is not in this /proc: comm stays pmon's, no container, and /health says why.
    const report = await health(server);
    expect(report.status).toBe('degraded');
    expect(report.reasons.join('\n')).toContain("pmon's pids are not in");
  });

  it('leaves pmon off where the driver does not support it, while the -lms child goes on', async () => {
    const server = await start({ FAKE_NVIDIA_SMI_PMON_FAIL: 'not-supported' }, '--interval', '200ms');
    await until(async () => value(await scrape(server), 'gpu_exporter_sampler_ticks_total') >= 5 && (await health(server)).pmon === 'not_supported');
    const body = await scrape(server);
    expect(value(body, 'gpu_exporter_nvidia_smi_up')).toBe(1);
    expect(parseSamples(body).filter((s) => /^(gpu_process_|energy_|gpu_exporter_pmon_)/.test(s.name))).toEqual([]);
    expect(await health(server)).toMatchObject({ status: 'ok', pmon: 'not_supported' });
    expect(server.fake.pids('pmon')).toEqual([]);
  });

  it('with --pmon on, says on /health that the driver does not support pmon', async () => {
    const server = await start({ FAKE_NVIDIA_SMI_PMON_FAIL: 'not-supported' }, '--interval', '200ms', '--pmon', 'on');
    await until(async () => (await health(server)).pmon === 'not_supported');
    const report = await health(server);
    expect(report.status).toBe('degraded');
    expect(report.reasons.join('\n')).toContain('Not supported on the device(s)');
    expect(value(await scrape(server), 'gpu_exporter_pmon_up')).toBe(0);
  });

  it('runs no pmon with --pmon off', async () => {
    const server = await start({}, '--interval', '200ms', '--pmon', 'off');
    await until(async () => value(await scrape(server), 'gpu_exporter_sampler_ticks_total') >= 5);
    expect(parseSamples(await scrape(server)).filter((s) => s.name.startsWith('gpu_process_') || s.name.startsWith('energy_'))).toEqual([]);
    expect(server.fake.pids('pmon')).toEqual([]);
  });

  it('restarts a hanging pmon (stall counted) while the -lms child keeps answering', async () => {
    const server = await start({ ...FAST_PMON, FAKE_NVIDIA_SMI_PMON_FAIL: 'hang', FAKE_NVIDIA_SMI_PMON_AFTER_TICKS: '2' }, '--interval', '200ms', '--procfs-root', procfs());
    let most = 0;
    let body = '';
    const deadline = Date.now() + 60_000;
    do {
      if (Date.now() > deadline) throw new Error(`the pmon hang was not handled in time:\n${body}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      most = Math.max(most, server.fake.pids('pmon').length);
      body = await scrape(server);
      expect(value(body, 'gpu_exporter_nvidia_smi_up')).toBe(1);
    } while (!(value(body, 'gpu_exporter_pmon_stalls_total') >= 1 && value(body, 'gpu_exporter_pmon_restarts_total') >= 1));
    expect(value(body, 'gpu_exporter_pmon_exits_total', { code: 'signal_SIGKILL' })).toBeGreaterThanOrEqual(1);
    expect(value(body, 'gpu_exporter_nvidia_smi_stalls_total')).toBe(0);
    expect(value(body, 'gpu_exporter_nvidia_smi_restarts_total')).toBe(0);
    expect(most).toBeLessThanOrEqual(1);
    expectConserved(body, 1);
    const { code } = await server.stop('SIGTERM');
    expect(code).toBe(0);
    await until(() => server.fake.pids().length === 0, 3000);
  }, 90_000);

  it('keeps pmon going while the -lms child hangs and is restarted', async () => {
    const server = await start({ ...FAST_PMON, FAKE_NVIDIA_SMI_FAIL: 'hang', FAKE_NVIDIA_SMI_AFTER_TICKS: '2' }, '--interval', '200ms', '--procfs-root', procfs());
    let body = '';
    const deadline = Date.now() + 60_000;
    do {
      if (Date.now() > deadline) throw new Error(`the -lms hang was not handled in time:\n${body}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      body = await scrape(server);
    } while (!(value(body, 'gpu_exporter_nvidia_smi_stalls_total') >= 1 && value(body, 'gpu_exporter_nvidia_smi_restarts_total') >= 1));
    expect(value(body, 'gpu_exporter_pmon_up')).toBe(1);
    expect(value(body, 'gpu_exporter_pmon_restarts_total')).toBe(0);
    expect(value(body, 'gpu_exporter_pmon_stalls_total')).toBe(0);
    expect(parseSamples(body).filter((s) => s.name === 'gpu_process_utilization_percent').length).toBeGreaterThan(0);
    expectConserved(body, 1);
    const { code } = await server.stop('SIGTERM');
    expect(code).toBe(0);
    await until(() => server.fake.pids().length === 0, 3000);
  }, 90_000);

  it('leaves neither child behind after SIGTERM', async () => {
    const server = await start(FAST_PMON, '--procfs-root', procfs());
    await until(() => server.fake.pids('query').length === 1 && server.fake.pids('pmon').length === 1);
    const children = server.fake.pids();
    const { code } = await server.stop('SIGTERM');
    expect(code).toBe(0);
    await until(() => children.every((pid) => !isRunning(pid)), 2000);
    expect(server.fake.pids()).toEqual([]);
  });
});
