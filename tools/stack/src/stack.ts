import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { materializePowercapTree, type MaterializedTree } from '@proj/fixtures';
import { createEnergyWriter, type EnergyWriter } from './energy-writer.js';
import { startExporter, type RunningExporter } from './exporter.js';
import { detectHostPowercap, detectNvidiaSmi } from './host.js';
import { startNodeExporter, type RunningNodeExporter } from './node-exporter.js';
import { buildPaths, defaultRunBaseDir } from './paths.js';
import { choosePort, freePort } from './ports.js';
import type { Service, ServiceExit } from './process.js';
import { startPrometheus, type RunningPrometheus } from './prometheus.js';
import type { PromApi } from './prom-api.js';
import { SCRAPE_JOBS, writeStackConfig, type ScrapeJob, type StackConfigFiles } from './scrape-config.js';
import { startVictoriaMetrics, type RunningVictoriaMetrics } from './victoriametrics.js';
import { sleep } from './wait.js';

/** The tree used when the host has no readable RAPL: every zone kind, psys included. */
export const DEFAULT_FIXTURE = 'intel-laptop-psys-symlinks';

/** The ports Docker Compose publishes; the local stack takes them where they are free. */
export const DEFAULT_PORTS = { victoriaMetrics: 8428, prometheus: 9090, cpuExporter: 9510, gpuExporter: 9511, nodeExporter: 9100 } as const;

/** Options for startStack. */
export interface StackOptions {
  /** Where the run directory is made; <repo>/.tmp by default. */
  readonly baseDir?: string;
  /** Keep the run directory (data, logs, configs) after stop. */
  readonly keepRunDir?: boolean;
  /** `default`: the compose ports where free (else any free one); `free`: any free ports. */
  readonly ports?: 'default' | 'free';
  /**
   * What the CPU exporter and node_exporter read: `auto` (the host's /sys when a RAPL energy_uj is readable,
   * else the default fixture tree with a writer), `host`, or a fixture tree (by name, or one the caller
   * materialized and keeps).
   */
  readonly sysfs?: 'auto' | 'host' | { readonly fixture: string | MaterializedTree };
  /**
   * `auto`: when the GPU exporter is built, the host's nvidia-smi if it lists a GPU, else the fake one.
   * `off`, or an explicit nvidia-smi (path and environment, e.g. the fake with a capture).
   */
  readonly gpu?: 'auto' | 'off' | { readonly nvidiaSmi: string; readonly env?: Readonly<Record<string, string>> };
  /** FAKE_NVIDIA_SMI_CAPTURE for the fake nvidia-smi under `gpu: 'auto'`. */
  readonly fakeGpuCapture?: string;
  /** Sampling interval of both exporters. */
  readonly exporterInterval?: string;
  /** More CPU exporter flags (tests: `--attribute-processes`, `--attribute-cgroups` for a known workload). */
  readonly cpuExporterArgs?: readonly string[];
  /** More VictoriaMetrics flags (tests: `-search.latencyOffset=0s`). */
  readonly vmExtraFlags?: readonly string[];
  /** How long to wait for every target to be scraped up by both stores. */
  readonly targetsTimeoutMs?: number;
  /** Progress messages. */
  readonly log?: (message: string) => void;
}

/** Where the powercap data comes from. */
export interface StackSysfs {
  readonly root: string;
  readonly source: 'host' | 'fixture';
  readonly fixture?: MaterializedTree;
  /** Present with a fixture: it advances the counters. */
  readonly writer?: EnergyWriter;
}

/** A running local stack. */
export interface RunningStack {
  readonly runDir: string;
  readonly config: StackConfigFiles;
  readonly victoriaMetrics: RunningVictoriaMetrics;
  readonly prometheus: RunningPrometheus;
  readonly nodeExporter: RunningNodeExporter;
  readonly cpuExporter: RunningExporter;
  readonly gpuExporter: RunningExporter | undefined;
  readonly sysfs: StackSysfs;
  readonly gpu: { readonly source: 'host' | 'fake' | 'given' | 'none'; readonly nvidiaSmi?: string };
  /** What is not real here (a fixture tree, a fake nvidia-smi, a port moved): say it loudly. */
  readonly notices: readonly string[];
  readonly services: readonly Service[];
  /** Resolves when any service exits before stop(). */
  readonly firstExit: Promise<{ service: Service; exit: ServiceExit }>;
  /** Stops every process (whole process groups) and the writer, and removes the run directory. */
  stop(): Promise<void>;
}

/**
 * Starts the local stack: powercap source (and writer), CPU exporter, GPU exporter, node_exporter, then
 * VictoriaMetrics and Prometheus running the committed scrape configs with local target files, and waits
 * until both stores scrape every target. Whatever fails midway, what was started is stopped again.
 */
export async function startStack(options: StackOptions = {}): Promise<RunningStack> {
  const log = options.log ?? (() => {});
  const baseDir = options.baseDir ?? defaultRunBaseDir;
  mkdirSync(baseDir, { recursive: true });
  const runDir = mkdtempSync(join(baseDir, 'stack-'));
  const logsDir = join(runDir, 'logs');
  mkdirSync(logsDir);
  const notices: string[] = [];
  const services: Service[] = [];
  let writer: EnergyWriter | undefined;
  let ownFixture: MaterializedTree | undefined;
  let stopped = false;

  const teardown = async () => {
    stopped = true;
    writer?.stop();
    await Promise.all(services.map((service) => service.stop()));
    ownFixture?.remove();
    if (!options.keepRunDir) rmSync(runDir, { recursive: true, force: true });
  };

  try {
    const pick = async (name: keyof typeof DEFAULT_PORTS, label: string): Promise<number> => {
      if (options.ports === 'free') return freePort();
      const { port, moved } = await choosePort(DEFAULT_PORTS[name]);
      if (moved) notices.push(`port ${DEFAULT_PORTS[name]} is taken: ${label} listens on ${port} instead`);
      return port;
    };

    // Powercap: the host's when it can be read, otherwise a fixture tree whose counters a writer moves.
    const sysfs = await (async (): Promise<StackSysfs> => {
      const choice = options.sysfs ?? 'auto';
      if (choice === 'host' || choice === 'auto') {
        const host = detectHostPowercap('/sys');
        if (host.usable) {
          log(`powercap: the host's /sys (${host.detail})`);
          return { root: '/sys', source: 'host' };
        }
        if (choice === 'host') throw new Error(`the host's powercap cannot be used: ${host.detail}`);
        notices.push(
          `NO USABLE RAPL ON THIS HOST (${host.detail}): the CPU exporter and node_exporter read the FIXTURE tree ` +
            `${DEFAULT_FIXTURE}, whose energy counters a writer advances. The power you see is SYNTHETIC.`,
        );
      }
      const fixture =
        typeof choice === 'object' && typeof choice.fixture !== 'string'
          ? choice.fixture
          : (ownFixture = materializePowercapTree(typeof choice === 'object' ? (choice.fixture as string) : DEFAULT_FIXTURE, join(runDir, 'sysfs')));
      if (typeof choice === 'object') {
        notices.push(`the CPU exporter and node_exporter read the FIXTURE tree ${fixture.tree.name}, advanced by a writer: SYNTHETIC power`);
      }
      writer = createEnergyWriter({
        sysfsRoot: fixture.root,
        zones: fixture.tree.expect.zones.map((z) => ({ id: z.path, zone: z.zone, maxEnergyRangeUj: z.max_energy_range_uj })),
      });
      writer.start();
      return { root: fixture.root, source: 'fixture', fixture, writer };
    })();

    const interval = options.exporterInterval ?? '1s';
    const exporterPort = async (name: 'cpuExporter' | 'gpuExporter', label: string) => (options.ports === 'free' ? 0 : pick(name, label));

    if (!existsSync(buildPaths.cpuExporter)) {
      throw new Error(`the CPU exporter is not built (${buildPaths.cpuExporter}): run \`pnpm nx run cpu-exporter:build\``);
    }
    log('starting the CPU exporter');
    const cpuExporter = await startExporter({
      name: 'cpu-exporter',
      entry: buildPaths.cpuExporter,
      port: await exporterPort('cpuExporter', 'the CPU exporter'),
      args: ['--sysfs-root', sysfs.root, '--interval', interval, ...(options.cpuExporterArgs ?? [])],
      logFile: join(logsDir, 'cpu-exporter.log'),
    });
    services.push(cpuExporter.service);

    // GPU: the same code path as the CPU exporter, with a real or fake nvidia-smi.
    const gpu = ((): { source: RunningStack['gpu']['source']; nvidiaSmi?: string; env?: Readonly<Record<string, string>> } => {
      const choice = options.gpu ?? 'auto';
      if (choice === 'off') return { source: 'none' };
      if (typeof choice === 'object') return { source: 'given', nvidiaSmi: choice.nvidiaSmi, ...(choice.env ? { env: choice.env } : {}) };
      if (!existsSync(buildPaths.gpuExporter)) {
        notices.push(`the GPU exporter is not built (${buildPaths.gpuExporter}): no GPU exporter in this stack`);
        return { source: 'none' };
      }
      const real = detectNvidiaSmi();
      if (real) return { source: 'host', nvidiaSmi: real };
      if (!existsSync(buildPaths.fakeNvidiaSmi)) {
        notices.push(`no NVIDIA GPU here and no fake nvidia-smi (${buildPaths.fakeNvidiaSmi}): no GPU exporter in this stack`);
        return { source: 'none' };
      }
      notices.push(
        `NO NVIDIA GPU ON THIS HOST: the GPU exporter runs the FAKE nvidia-smi (${buildPaths.fakeNvidiaSmi}` +
          `${options.fakeGpuCapture ? `, capture ${options.fakeGpuCapture}` : ''}). Its GPU values are REPLAYED CAPTURES.`,
      );
      return { source: 'fake', nvidiaSmi: buildPaths.fakeNvidiaSmi, ...(options.fakeGpuCapture ? { env: { FAKE_NVIDIA_SMI_CAPTURE: options.fakeGpuCapture } } : {}) };
    })();
    let gpuExporter: RunningExporter | undefined;
    if (gpu.nvidiaSmi) {
      if (!existsSync(buildPaths.gpuExporter)) {
        throw new Error(`the GPU exporter is not built (${buildPaths.gpuExporter}): run \`pnpm nx run gpu-exporter:build\``);
      }
      log('starting the GPU exporter');
      gpuExporter = await startExporter({
        name: 'gpu-exporter',
        entry: buildPaths.gpuExporter,
        port: await exporterPort('gpuExporter', 'the GPU exporter'),
        args: ['--nvidia-smi', gpu.nvidiaSmi, '--interval', interval],
        ...(gpu.env ? { env: gpu.env } : {}),
        logFile: join(logsDir, 'gpu-exporter.log'),
      });
      services.push(gpuExporter.service);
    }

    log('starting node_exporter (RAPL collector only)');
    const nodeExporter = await startNodeExporter({
      port: await pick('nodeExporter', 'node_exporter'),
      sysfsRoot: sysfs.root,
      logFile: join(logsDir, 'node-exporter.log'),
    });
    services.push(nodeExporter.service);

    const targets: Record<ScrapeJob, string[]> = {
      'cpu-exporter': [cpuExporter.target],
      'gpu-exporter': gpuExporter ? [gpuExporter.target] : [],
      'node-exporter': [new URL(nodeExporter.url).host],
    };
    const config = writeStackConfig(join(runDir, 'config'), targets);

    log('starting VictoriaMetrics and Prometheus');
    const vmPort = await pick('victoriaMetrics', 'VictoriaMetrics');
    const prometheusPort = await pick('prometheus', 'Prometheus');
    // Both at once; settle both before judging, so neither is left running unrecorded if the other fails.
    const [vmStart, prometheusStart] = await Promise.allSettled([
      startVictoriaMetrics({
        port: vmPort,
        dataDir: join(runDir, 'data', 'victoria-metrics'),
        scrapeConfig: config.vmScrapeConfig,
        logFile: join(logsDir, 'victoria-metrics.log'),
        ...(options.vmExtraFlags ? { extraFlags: options.vmExtraFlags } : {}),
      }),
      startPrometheus({
        port: prometheusPort,
        dataDir: join(runDir, 'data', 'prometheus'),
        configFile: config.prometheusConfig,
        logFile: join(logsDir, 'prometheus.log'),
      }),
    ]);
    if (vmStart.status === 'fulfilled') services.push(vmStart.value.service);
    if (prometheusStart.status === 'fulfilled') services.push(prometheusStart.value.service);
    if (vmStart.status === 'rejected') throw vmStart.reason;
    if (prometheusStart.status === 'rejected') throw prometheusStart.reason;
    const victoriaMetrics = vmStart.value;
    const prometheus = prometheusStart.value;

    log('waiting for both stores to scrape every target');
    const expected = SCRAPE_JOBS.reduce((n, job) => n + targets[job].length, 0);
    await Promise.all([
      waitForTargetsUp(victoriaMetrics.api, expected, options.targetsTimeoutMs ?? 30_000),
      waitForTargetsUp(prometheus.api, expected, options.targetsTimeoutMs ?? 30_000),
    ]);

    const firstExit = Promise.race(
      services.map((service) => service.exited.then((exit) => ({ service, exit }))),
    ).then((first) => (stopped ? new Promise<never>(() => {}) : first));

    return {
      runDir,
      config,
      victoriaMetrics,
      prometheus,
      nodeExporter,
      cpuExporter,
      gpuExporter,
      sysfs,
      gpu: { source: gpu.source, ...(gpu.nvidiaSmi ? { nvidiaSmi: gpu.nvidiaSmi } : {}) },
      notices,
      services,
      firstExit,
      stop: teardown,
    };
  } catch (error) {
    await teardown();
    throw error;
  }
}

/** Waits until `api` lists `count` active targets, all up. */
export async function waitForTargetsUp(api: PromApi, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const targets = await api.targets();
      const up = targets.filter((t) => t.health === 'up');
      if (targets.length === count && up.length === count) return;
      last = targets.map((t) => `${t.labels.job} ${t.scrapeUrl} ${t.health}${t.lastError ? ` (${t.lastError})` : ''}`).join('; ') || 'no targets';
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`${api.baseUrl}: ${count} targets not all up after ${timeoutMs} ms: ${last}`);
    await sleep(250);
  }
}
