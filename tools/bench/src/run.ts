import { execFileSync, spawn } from 'node:child_process';
import { Agent } from 'node:http';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { materializePowercapTree, sampleValue, type MaterializedTree } from '@proj/fixtures';
import { runOnce } from '@proj/subprocess';
import {
  buildPaths,
  createEnergyWriter,
  freePort,
  matrixOf,
  sleep,
  startExporter,
  startNodeExporter,
  startVictoriaMetrics,
  waitForTargetsUp,
  writeStackConfig,
  type RunningExporter,
  type RunningVictoriaMetrics,
  type ScrapeTargets,
} from '@proj/stack';
import { every, timedGet } from './http.js';
import { createLagTracker, readSampler, type SamplerReading, type TickLag } from './lag.js';
import { processCpuSeconds, readMemory, treeCpuSeconds, type ProcessMemory } from './proc.js';
import type { SpinProbeResult } from './spin-probe.js';
import { histogramQuantileBound, summarize, type Summary } from './stats.js';
import { countSeries, totalCounts } from './store.js';
import { runWrk, type WrkResult } from './wrk.js';

/** How long each scenario runs. */
export interface BenchPlan {
  readonly mode: 'quick' | 'full';
  /** Nothing scrapes: idle CPU and RSS. */
  readonly idleSeconds: number;
  /** Two scrapers at 1 s per exporter: latency at 1 request/s, CPU per scrape, idle sampler lag. */
  readonly lightSeconds: number;
  /** wrk per exporter. */
  readonly wrkSeconds: number;
  readonly wrkConnections: number;
  /** VictoriaMetrics scraping every exporter at 1 s while wrk loads the CPU exporter. */
  readonly storeSeconds: number;
  /** GPU exporter vs the per-scrape-spawn baseline, nvidia-smi 10-30 ms. */
  readonly gpuSeconds: number;
  /** ... and with a hung nvidia-smi: requests to the baseline (each waits out its 5 s timeout). */
  readonly gpuHangSeconds: number;
  readonly manyExporters: number;
  readonly manySeconds: number;
}

export const PLANS: Record<'quick' | 'full', BenchPlan> = {
  quick: { mode: 'quick', idleSeconds: 5, lightSeconds: 15, wrkSeconds: 5, wrkConnections: 50, storeSeconds: 20, gpuSeconds: 6, gpuHangSeconds: 6, manyExporters: 8, manySeconds: 12 },
  full: { mode: 'full', idleSeconds: 60, lightSeconds: 600, wrkSeconds: 30, wrkConnections: 50, storeSeconds: 600, gpuSeconds: 60, gpuHangSeconds: 20, manyExporters: 50, manySeconds: 180 },
};

/** Latency and CPU of one exporter over a window. */
export interface ExporterFigures {
  readonly cpuSeconds: number;
  readonly seconds: number;
}

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly kernel: string;
  readonly node: string;
  readonly wrk: string;
  readonly pinned: boolean;
}

export interface PhaseLoad {
  readonly phase: string;
  readonly seconds: number;
  /** 1-minute load average: mean and max of readings every 5 s. */
  readonly load1Mean: number;
  readonly load1Max: number;
}

export interface LagFigures {
  readonly perTick: Summary;
  /** Upper bound of the histogram bucket holding p99, milliseconds. */
  readonly histogramP99BoundMs: number;
  readonly ticks: number;
  readonly missedTicks: number;
  /** Ticks whose lag could not be told apart (two ticks between scrapes). */
  readonly merged: number;
  readonly series: readonly TickLag[];
}

export interface LoadFigures {
  readonly wrk: WrkResult;
  readonly cpuSeconds: number;
  readonly cpuMsPerRequest: number;
  readonly peakRssBytes: number;
}

export interface StoreSeriesFigures {
  readonly job: string;
  readonly series: number;
  readonly expected: number;
  readonly stored: number;
  readonly storedMin: number;
  readonly storedMax: number;
  readonly lost: number;
  readonly seriesWithLoss: number;
}

export interface BenchResults {
  readonly plan: BenchPlan;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: MachineInfo;
  readonly loads: readonly PhaseLoad[];
  readonly fixture: string;
  readonly bareNode: { readonly rssBytes: number; readonly cpuSeconds: number; readonly memory?: ProcessMemory };
  readonly idle: {
    readonly seconds: number;
    readonly ours: { cpuSeconds: number; rssBytes: number; memory?: ProcessMemory };
    readonly node: { cpuSeconds: number; rssBytes: number };
  };
  readonly light: {
    readonly seconds: number;
    readonly scrapesPerExporter: number;
    readonly ours: { cpuSeconds: number; latencyMs: Summary; cpuMsPerScrape: number };
    readonly node: { cpuSeconds: number; latencyMs: Summary; cpuMsPerScrape: number };
    /** A bare Node HTTP server answering a fixed body, scraped the same way: the floor of this machine. */
    readonly floorLatencyMs: Summary;
    readonly lag: LagFigures;
  };
  readonly load: { readonly ours: LoadFigures; readonly node: LoadFigures; readonly lag: LagFigures };
  readonly store: {
    readonly seconds: number;
    readonly wrk: WrkResult;
    readonly lag: LagFigures;
    readonly jobs: readonly StoreSeriesFigures[];
    readonly peakRssBytes: number;
  };
  readonly spin: {
    readonly light: readonly SpinFigures[];
    readonly store: readonly SpinFigures[];
  };
  readonly gpu: {
    /** floor: a bare Node HTTP server answering a fixed body, scraped the same way. */
    readonly slow: { readonly ours: GpuFigures; readonly baseline: GpuFigures; readonly floor: GpuFigures };
    readonly hang: { readonly ours: GpuFigures; readonly baseline: GpuFigures; readonly floor: GpuFigures; readonly oursMissedTicks: number };
  };
  readonly many: {
    readonly exporters: number;
    readonly seconds: number;
    readonly vmCpuSeconds: number;
    readonly vmPeakRssBytes: number;
    readonly exportersCpuSeconds: number;
    readonly jobs: readonly StoreSeriesFigures[];
    readonly scrapesLost: number;
    readonly scrapesExpected: number;
  };
}

export interface SpinFigures {
  readonly spinMs: number;
  /** A wake-up at most this early starts the tick at once (metrics-core's earlyMs). */
  readonly earlyMs: number;
  /** The timer armed this long before each deadline (0: metrics-core's default schedule). */
  readonly wakeEarlyMs: number;
  readonly lagMs: Summary;
  readonly cpuMs: number;
  readonly seconds: number;
}

export interface GpuFigures {
  readonly latencyMs: Summary;
  readonly failed: number;
  readonly ownCpuSeconds: number;
  readonly childrenCpuSeconds: number;
  readonly seconds: number;
}

const baselineEntry = fileURLToPath(new URL('./baseline-exporter.js', import.meta.url));
const spinProbeEntry = fileURLToPath(new URL('./spin-probe.js', import.meta.url));
/**
 * Node's options our exporters run with as shipped (tools/start.sh, the images' NODE_OPTIONS): V8's young generation
 * capped at 1 MB a semi-space, which bounds the peak RSS under load (docs/BENCHMARKS.md, notes). The bench measures
 * what users run.
 */
export const SHIPPED_NODE_ARGS: readonly string[] = ['--max-semi-space-size=1'];
const floorEntry = fileURLToPath(new URL('./floor-server.js', import.meta.url));
const FIXTURE = 'intel-laptop-psys-symlinks';

/** Runs every scenario in order and returns the figures. `log` gets progress lines. */
export async function runBench(plan: BenchPlan, workDir: string, log: (line: string) => void): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  mkdirSync(workDir, { recursive: true });
  const logsDir = join(workDir, 'logs');
  mkdirSync(logsDir, { recursive: true });
  const cleanups: (() => unknown)[] = [];
  const stopLater = <T extends { stop(): Promise<void> }>(thing: T): T => {
    cleanups.push(() => thing.stop());
    return thing;
  };
  const pinned = cpus().length >= 2 && hasTaskset();
  // The exporter under load gets CPU 0, wrk gets CPU 1: they do not fight over one core.
  const pin = (pid: number) => {
    if (pinned) execFileSync('taskset', ['-a', '-p', '-c', '0', String(pid)], { stdio: 'ignore' });
  };
  const wrkCpus = pinned ? '1' : undefined;

  const loadReadings: { at: number; load1: number }[] = [];
  const loadTimer = setInterval(() => loadReadings.push({ at: performance.now(), load1: loadavg()[0]! }), 5000);
  loadReadings.push({ at: performance.now(), load1: loadavg()[0]! });
  const loads: PhaseLoad[] = [];
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    log(`${name} ...`);
    const result = await fn();
    const ended = performance.now();
    loadReadings.push({ at: ended, load1: loadavg()[0]! });
    const inside = loadReadings.filter((r) => r.at >= started && r.at <= ended).map((r) => r.load1);
    loads.push({ phase: name, seconds: (ended - started) / 1000, load1Mean: inside.reduce((a, b) => a + b, 0) / inside.length, load1Max: Math.max(...inside) });
    return result;
  };

  try {
    // The fixture tree both the CPU exporter and node_exporter read, its counters moving at a realistic rate.
    const tree = materializePowercapTree(FIXTURE, join(workDir, 'sysfs'));
    const writer = createEnergyWriter({
      sysfsRoot: tree.root,
      zones: tree.tree.expect.zones.map((z) => ({ id: z.path, zone: z.zone, maxEnergyRangeUj: z.max_energy_range_uj })),
    });
    writer.start();
    cleanups.push(() => writer.stop());

    const [ours, node, bare] = await Promise.all([
      startExporter({ name: 'cpu-exporter', entry: buildPaths.cpuExporter, args: ['--sysfs-root', tree.root, '--interval', '1s'], nodeArgs: SHIPPED_NODE_ARGS, logFile: join(logsDir, 'cpu-exporter.log') }).then(stopLater),
      freePort().then((port) => startNodeExporter({ port, sysfsRoot: tree.root, logFile: join(logsDir, 'node-exporter.log') })).then(stopLater),
      startBareNode(),
    ]);
    cleanups.push(() => bare.stop());
    const oursPid = ours.service.pid;
    const nodePid = node.service.pid;
    pin(oursPid);
    pin(nodePid);
    const oursMetrics = `${ours.url}/metrics`;
    const nodeMetrics = `${node.url}/metrics`;

    // 1. Idle: nothing scrapes.
    const idle = await phase('idle', async () => {
      const before = { ours: processCpuSeconds(oursPid), node: processCpuSeconds(nodePid), bare: processCpuSeconds(bare.pid) };
      await sleep(plan.idleSeconds * 1000);
      return {
        seconds: plan.idleSeconds,
        ours: { cpuSeconds: processCpuSeconds(oursPid) - before.ours, rssBytes: readMemory(oursPid).rssBytes, memory: readMemory(oursPid) },
        node: { cpuSeconds: processCpuSeconds(nodePid) - before.node, rssBytes: readMemory(nodePid).rssBytes },
        bare: { cpuSeconds: processCpuSeconds(bare.pid) - before.bare, rssBytes: readMemory(bare.pid).rssBytes, memory: readMemory(bare.pid) },
      };
    });
    await bare.stop();

    // A 1 Hz scraper half a tick after each sampler tick: each scrape sees exactly one new tick, so the
    // histogram's _sum delta is that tick's lag. It runs through the light, load and store phases.
    const watcher = await startLagWatcher(oursMetrics, 'cpu_exporter');
    cleanups.push(() => watcher.stop());

    // 2. Light: two scrapers a second on each exporter (the lag watcher is one of ours).
    const spinLight = runSpinProbes(plan.lightSeconds);
    const light = await phase('light (2 scrapers at 1 s)', async () => {
      const floor = await startExporter({ name: 'floor', entry: floorEntry, logFile: join(logsDir, 'floor.log') });
      const floorLatency: number[] = [];
      const t0 = performance.now();
      const before = { ours: processCpuSeconds(oursPid), node: processCpuSeconds(nodePid) };
      const until = t0 + plan.lightSeconds * 1000;
      const nodeLatency: number[] = [];
      let failures = 0;
      const scraper = (url: string, offsetMs: number, into?: number[]) =>
        sleep(offsetMs).then(() =>
          every(
            1000,
            async () => {
              try {
                const res = await timedGet(url);
                if (res.status !== 200) failures++;
                into?.push(res.ms);
              } catch {
                failures++;
              }
            },
            { untilMs: until },
          ),
        );
      await Promise.all([scraper(oursMetrics, 250), scraper(nodeMetrics, 125, nodeLatency), scraper(nodeMetrics, 625), scraper(`${floor.url}/metrics`, 875, floorLatency)]);
      await sleep(Math.max(0, until - performance.now()));
      await floor.stop();
      const seconds = (performance.now() - t0) / 1000;
      const cpu = { ours: processCpuSeconds(oursPid) - before.ours, node: processCpuSeconds(nodePid) - before.node };
      const lagPart = watcher.between(t0, performance.now());
      const scrapes = Math.round(seconds) * 2;
      const perScrape = (cpuSeconds: number, idleCpu: number) => ((cpuSeconds - (idleCpu / idle.seconds) * seconds) / scrapes) * 1000;
      if (failures > 0) log(`  ${failures} scrapes failed`);
      return {
        seconds,
        scrapesPerExporter: scrapes,
        ours: { cpuSeconds: cpu.ours, latencyMs: summarize(lagPart.latencyMs), cpuMsPerScrape: perScrape(cpu.ours, idle.ours.cpuSeconds) },
        node: { cpuSeconds: cpu.node, latencyMs: summarize(nodeLatency), cpuMsPerScrape: perScrape(cpu.node, idle.node.cpuSeconds) },
        floorLatencyMs: summarize(floorLatency),
        lag: lagPart.lag,
      };
    });
    const spinLightResults = await spinLight;

    // 3. Throughput: wrk against each exporter in turn.
    const loadOf = async (pid: number, url: string): Promise<LoadFigures> => {
      const before = processCpuSeconds(pid);
      const wrk = await runWrk({ url, connections: plan.wrkConnections, durationSeconds: plan.wrkSeconds, ...(wrkCpus ? { cpus: wrkCpus } : {}) });
      const cpuSeconds = processCpuSeconds(pid) - before;
      return { wrk, cpuSeconds, cpuMsPerRequest: (cpuSeconds / Math.max(1, wrk.requests)) * 1000, peakRssBytes: readMemory(pid).hwmBytes };
    };
    const load = await phase(`wrk -c${plan.wrkConnections} ${plan.wrkSeconds} s, each exporter`, async () => {
      const t0 = performance.now();
      const oursLoad = await loadOf(oursPid, oursMetrics);
      const lag = watcher.between(t0, performance.now()).lag;
      await sleep(2000);
      const nodeLoad = await loadOf(nodePid, nodeMetrics);
      return { ours: oursLoad, node: nodeLoad, lag };
    });

    // 4. VictoriaMetrics scraping each exporter every second while wrk loads the CPU exporter.
    const spinStore = runSpinProbes(plan.storeSeconds);
    const store = await phase('store (VictoriaMetrics at 1 s, CPU exporter under wrk)', async () => {
      const gpu = stopLater(await startGpuExporter(logsDir, 'gpu-exporter-store', { FAKE_NVIDIA_SMI_LATENCY_MS: '10-30' }));
      const targets: ScrapeTargets = { 'cpu-exporter': [ours.target], 'node-exporter': [new URL(node.url).host], 'gpu-exporter': [gpu.target] };
      const vm = stopLater(await startVm(join(workDir, 'vm-store'), targets, logsDir, 'victoria-metrics-store.log'));
      await waitForTargetsUp(vm.api, 3, 30_000);
      await sleep(3000);
      const t0 = performance.now();
      const startSeconds = Date.now() / 1000;
      const wrk = await runWrk({ url: oursMetrics, connections: plan.wrkConnections, durationSeconds: plan.storeSeconds, ...(wrkCpus ? { cpus: wrkCpus } : {}) });
      const endSeconds = Date.now() / 1000;
      const lag = watcher.between(t0, performance.now()).lag;
      const peakRssBytes = readMemory(oursPid).hwmBytes;
      await sleep(2500); // let the last scrapes become searchable
      const jobs = await countJobs(vm, ['cpu-exporter', 'node-exporter', 'gpu-exporter'], startSeconds, endSeconds);
      await vm.stop();
      await gpu.stop();
      return { seconds: endSeconds - startSeconds, wrk, lag, jobs, peakRssBytes };
    });
    const spinStoreResults = await spinStore;
    await watcher.stop();
    await ours.stop();
    await node.stop();

    // 5. GPU exporter vs a per-scrape-spawn exporter: nvidia-smi as slow as a real one, then hung.
    const gpu = await phase('GPU exporter vs per-scrape spawn', async () => {
      const slow = await gpuPair(logsDir, 'slow', { FAKE_NVIDIA_SMI_LATENCY_MS: '10-30' }, { FAKE_NVIDIA_SMI_LATENCY_MS: '10-30' }, plan.gpuSeconds);
      const hang = await gpuPair(
        logsDir,
        'hang',
        { FAKE_NVIDIA_SMI_FAIL: 'hang', FAKE_NVIDIA_SMI_AFTER_TICKS: '2' },
        { FAKE_NVIDIA_SMI_FAIL: 'hang' },
        plan.gpuHangSeconds,
      );
      return {
        slow: { ours: slow.ours, baseline: slow.baseline, floor: slow.floor },
        hang: { ours: hang.ours, baseline: hang.baseline, floor: hang.floor, oursMissedTicks: hang.oursMissedTicks },
      };
    });

    // 6. Many exporters, one store.
    const many = await phase(`${plan.manyExporters} CPU exporters, one VictoriaMetrics`, () => manyExporters(plan, workDir, logsDir, log));

    return {
      plan,
      startedAt,
      finishedAt: new Date().toISOString(),
      machine: machineInfo(pinned),
      loads,
      fixture: FIXTURE,
      bareNode: idle.bare,
      idle: { seconds: idle.seconds, ours: idle.ours, node: idle.node },
      light,
      load,
      store,
      spin: { light: spinLightResults, store: spinStoreResults },
      gpu,
      many,
    };
  } finally {
    clearInterval(loadTimer);
    while (cleanups.length > 0) {
      try {
        await cleanups.pop()!();
      } catch {
        // best effort
      }
    }
  }
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function machineInfo(pinned: boolean): MachineInfo {
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  let wrk = 'unknown';
  try {
    wrk = /wrk (\S+)/.exec(execFileSync('wrk', ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))?.[1] ?? wrk;
  } catch (error) {
    // wrk --version exits 1 after printing its version
    const out = String((error as { stdout?: string }).stdout ?? '');
    wrk = /wrk (\S+)/.exec(out)?.[1] ?? wrk;
  }
  return { cpuModel, cores: cpus().length, kernel: release(), node: process.version, wrk, pinned };
}

/** `node -e 'setInterval(()=>{},1000)'`: what Node costs with nothing in it. */
async function startBareNode(): Promise<{ pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { stdio: 'ignore' });
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A 1 Hz scraper placed half a tick after the sampler's ticks, keeping every reading. */
async function startLagWatcher(url: string, prefix: string) {
  const readings: { at: number; reading: SamplerReading; ms: number }[] = [];
  // Where the ticks fall: the last sample's wall-clock time.
  const first = await timedGet(url);
  const lastSampleMs = sampleValue(first.body, `${prefix}_last_sample_timestamp_seconds`)! * 1000;
  const offsetMs = (((lastSampleMs + 500 - Date.now()) % 1000) + 1000) % 1000;
  let running = true;
  const loop = sleep(offsetMs).then(() =>
    every(
      1000,
      async () => {
        try {
          const res = await timedGet(url);
          if (res.status === 200) readings.push({ at: performance.now(), reading: readSampler(res.body, prefix), ms: res.ms });
        } catch {
          // counted as a missing reading: the next one merges two ticks
        }
      },
      { stopped: () => !running },
    ),
  );
  let stopping: Promise<void> | undefined;
  return {
    /** Lag per tick and the scrapes' latency between two monotonic times. */
    between(fromMs: number, toMs: number): { lag: LagFigures; latencyMs: number[] } {
      const inside = readings.filter((r) => r.at >= fromMs && r.at <= toMs);
      const tracker = createLagTracker();
      for (const r of inside) tracker.add(r.reading, (r.at - fromMs) / 1000);
      const firstReading = tracker.first();
      const lastReading = tracker.last();
      const bound = firstReading && lastReading ? histogramQuantileBound(firstReading.buckets, lastReading.buckets, 0.99) * 1000 : NaN;
      return {
        lag: {
          perTick: summarize(tracker.ticks().map((t) => t.lagMs)),
          histogramP99BoundMs: bound,
          ticks: firstReading && lastReading ? lastReading.ticks - firstReading.ticks : 0,
          missedTicks: firstReading && lastReading ? lastReading.missed - firstReading.missed : 0,
          merged: tracker.merged(),
          series: tracker.ticks(),
        },
        latencyMs: inside.map((r) => r.ms),
      };
    },
    stop(): Promise<void> {
      running = false;
      return (stopping ??= loop);
    },
  };
}

/**
 * Sampler probes side by side for `seconds`: an early wake-up put back to sleep (earlyMs 0, the sampler before issue
 * 12), started at once (earlyMs 0.5, the default), or busy-waited with the timer armed 2 ms early (spinMs 2).
 */
async function runSpinProbes(seconds: number): Promise<SpinFigures[]> {
  const one = async (spinMs: number, earlyMs: number, wakeEarlyMs: number): Promise<SpinFigures> => {
    const args = [spinProbeEntry, '--spin-ms', String(spinMs), '--early-ms', String(earlyMs), '--wake-early-ms', String(wakeEarlyMs), '--duration-s', String(Math.round(seconds))];
    const run = await runOnce(process.execPath, args);
    if (run.kind !== 'exited' || run.code !== 0) throw new Error(`spin probe (spinMs ${spinMs}) ended: ${run.kind === 'exited' ? `exit ${run.code}: ${run.stderr}` : run.kind}`);
    const result = JSON.parse(run.stdout) as SpinProbeResult;
    // Distance from the deadline, as the sampler's histogram records it.
    return { spinMs, earlyMs, wakeEarlyMs, lagMs: summarize(result.lagsMs.map(Math.abs)), cpuMs: result.cpuMs, seconds: result.seconds };
  };
  return Promise.all([one(0, 0, 0), one(0, 0.5, 0), one(2, 0, 2)]);
}

function startVm(dataDir: string, targets: ScrapeTargets, logsDir: string, logName: string): Promise<RunningVictoriaMetrics> {
  const config = writeStackConfig(join(dataDir, 'config'), targets, { stack: 'bench' });
  return freePort().then((port) =>
    startVictoriaMetrics({
      port,
      dataDir: join(dataDir, 'data'),
      scrapeConfig: config.vmScrapeConfig,
      logFile: join(logsDir, logName),
      extraFlags: ['-search.latencyOffset=0s'],
    }),
  );
}

/** Every series of each job, counted over (startSeconds, endSeconds] from the raw samples. */
async function countJobs(vm: RunningVictoriaMetrics, jobs: readonly string[], startSeconds: number, endSeconds: number): Promise<StoreSeriesFigures[]> {
  const out: StoreSeriesFigures[] = [];
  const rangeSeconds = Math.ceil(endSeconds - startSeconds) + 2;
  for (const job of jobs) {
    const series = matrixOf(await vm.api.query(`{job="${job}"}[${rangeSeconds}s]`, { time: endSeconds }));
    const counts = series.map((s) => countSeries(s.metric, s.values.map(([t]) => t), { startSeconds, endSeconds, intervalSeconds: 1 }));
    const total = totalCounts(counts);
    out.push({ job, ...total });
  }
  return out;
}

function startGpuExporter(logsDir: string, name: string, env: Record<string, string>): Promise<RunningExporter> {
  return startExporter({
    name,
    entry: buildPaths.gpuExporter,
    args: ['--nvidia-smi', buildPaths.fakeNvidiaSmi, '--interval', '1s'],
    nodeArgs: SHIPPED_NODE_ARGS,
    env: { FAKE_NVIDIA_SMI_CAPTURE: 'h100', ...env },
    logFile: join(logsDir, `${name}.log`),
  });
}

/**
 * The GPU exporter, the baseline and a bare Node server (the floor) side by side: scrape latency at 1 request/s
 * each over a keep-alive connection (as a scraper holds one), CPU over the window.
 */
async function gpuPair(logsDir: string, label: string, oursEnv: Record<string, string>, baselineEnv: Record<string, string>, seconds: number) {
  const [ours, baseline, floor] = await Promise.all([
    startGpuExporter(logsDir, `gpu-exporter-${label}`, oursEnv),
    startExporter({
      name: `baseline-${label}`,
      entry: baselineEntry,
      args: ['--nvidia-smi', buildPaths.fakeNvidiaSmi, '--timeout-ms', '5000'],
      env: { FAKE_NVIDIA_SMI_CAPTURE: 'h100', ...baselineEnv },
      logFile: join(logsDir, `baseline-${label}.log`),
    }),
    startExporter({ name: `floor-${label}`, entry: floorEntry, logFile: join(logsDir, `floor-${label}.log`) }),
  ]);
  try {
    await sleep(2500); // past the GPU exporter's first batches (and, hanging, into the hang)
    const measure = async (exporter: RunningExporter, offsetMs: number) => {
      const before = treeCpuSeconds(exporter.service.pid);
      const t0 = performance.now();
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const latency: number[] = [];
      let failed = 0;
      await sleep(offsetMs);
      await every(
        1000,
        async () => {
          try {
            const res = await timedGet(`${exporter.url}/metrics`, { timeoutMs: 15_000, agent });
            latency.push(res.ms);
            if (res.status !== 200) failed++;
          } catch {
            failed++;
          }
        },
        { untilMs: t0 + seconds * 1000 },
      );
      const after = treeCpuSeconds(exporter.service.pid);
      agent.destroy();
      return {
        latencyMs: summarize(latency),
        failed,
        ownCpuSeconds: after.ownSeconds - before.ownSeconds,
        childrenCpuSeconds: after.childrenSeconds - before.childrenSeconds,
        seconds: (performance.now() - t0) / 1000,
      } satisfies GpuFigures;
    };
    const [oursFigures, baselineFigures, floorFigures] = await Promise.all([measure(ours, 0), measure(baseline, 333), measure(floor, 666)]);
    const missed = sampleValue((await timedGet(`${ours.url}/metrics`)).body, 'gpu_exporter_sampler_ticks_missed_total') ?? NaN;
    return { ours: oursFigures, baseline: baselineFigures, floor: floorFigures, oursMissedTicks: missed };
  } finally {
    await Promise.all([ours.stop(), baseline.stop(), floor.stop()]);
  }
}

async function manyExporters(plan: BenchPlan, workDir: string, logsDir: string, log: (line: string) => void): Promise<BenchResults['many']> {
  const trees: MaterializedTree[] = [];
  const exporters: RunningExporter[] = [];
  let vm: RunningVictoriaMetrics | undefined;
  try {
    for (let i = 0; i < plan.manyExporters; i++) trees.push(materializePowercapTree(FIXTURE, join(workDir, `many-sysfs-${i}`)));
    // Five at a time: fifty Node start-ups at once would stall a small machine for a while.
    for (let i = 0; i < trees.length; i += 5) {
      const batch = await Promise.all(
        trees.slice(i, i + 5).map((tree, j) =>
          startExporter({
            name: `cpu-exporter-${i + j}`,
            entry: buildPaths.cpuExporter,
            args: ['--sysfs-root', tree.root, '--interval', '1s'],
            nodeArgs: SHIPPED_NODE_ARGS,
            logFile: join(logsDir, `many-cpu-exporter-${i + j}.log`),
            readyTimeoutMs: 60_000,
          }),
        ),
      );
      exporters.push(...batch);
    }
    log(`  ${exporters.length} exporters up`);
    vm = await startVm(join(workDir, 'vm-many'), { 'cpu-exporter': exporters.map((e) => e.target) }, logsDir, 'victoria-metrics-many.log');
    await waitForTargetsUp(vm.api, exporters.length, 60_000);
    await sleep(3000);
    const vmPid = vm.service.pid;
    const vmBefore = treeCpuSeconds(vmPid).ownSeconds;
    const exportersBefore = exporters.reduce((sum, e) => sum + processCpuSeconds(e.service.pid), 0);
    const startSeconds = Date.now() / 1000;
    await sleep(plan.manySeconds * 1000);
    const endSeconds = Date.now() / 1000;
    const vmCpuSeconds = treeCpuSeconds(vmPid).ownSeconds - vmBefore;
    const exportersCpuSeconds = exporters.reduce((sum, e) => sum + processCpuSeconds(e.service.pid), 0) - exportersBefore;
    const vmPeakRssBytes = readMemory(vmPid).hwmBytes;
    await sleep(2500);
    const jobs = await countJobs(vm, ['cpu-exporter'], startSeconds, endSeconds);
    // Scrapes, not series: the `up` series, one per target.
    const up = matrixOf(await vm.api.query(`up{job="cpu-exporter"}[${Math.ceil(endSeconds - startSeconds) + 2}s]`, { time: endSeconds }));
    const upCounts = up.map((s) => {
      const ok = s.values.filter(([, v]) => v === '1').map(([t]) => t);
      return countSeries(s.metric, ok, { startSeconds, endSeconds, intervalSeconds: 1 });
    });
    const upTotal = totalCounts(upCounts);
    return {
      exporters: exporters.length,
      seconds: endSeconds - startSeconds,
      vmCpuSeconds,
      vmPeakRssBytes,
      exportersCpuSeconds,
      jobs,
      scrapesLost: upTotal.lost + Math.max(0, exporters.length - upTotal.series) * Math.round(endSeconds - startSeconds),
      scrapesExpected: exporters.length * Math.round(endSeconds - startSeconds),
    };
  } finally {
    await vm?.stop();
    await Promise.all(exporters.map((e) => e.stop()));
    for (const tree of trees) rmSync(tree.root, { recursive: true, force: true });
  }
}
