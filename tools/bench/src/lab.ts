import { writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { loadavg } from 'node:os';
import { materializePowercapTree } from '@proj/fixtures';
import { buildPaths, createEnergyWriter, freePort, sleep, startExporter, startNodeExporter } from '@proj/stack';
import { killGroup, spawnGroup } from '@proj/subprocess';
import { every, timedGet } from './http.js';
import { processCpuSeconds, readMemory } from './proc.js';
import { SHIPPED_NODE_ARGS } from './run.js';

/** The lab workload: how long each window runs, and optional extra CPU exporter builds measured beside ours. */
export interface LabWorkloadOptions {
  readonly workDir: string;
  /** Nothing scrapes: every process's idle CPU, same window for all. */
  readonly idleSeconds: number;
  /** The scrapers run (at least 120 s for the issue's figure). */
  readonly scrapedSeconds: number;
  /** Other builds of the CPU exporter (e.g. the previous commit's dist/main.js) run beside it in the same windows. */
  readonly extraCpuEntries?: readonly { readonly name: string; readonly entry: string }[];
  readonly log: (line: string) => void;
}

/** One process's figures over the two windows. */
export interface LabProcessFigures {
  readonly name: string;
  /** Fraction of one core, 0..1. */
  readonly idleCpu: number;
  readonly scrapedCpu: number;
  readonly scrapes: number;
  readonly failedScrapes: number;
  readonly rssBytes: number;
  /** Idle RssAnon: the private part of RSS (the rest is mostly Node's own code pages, shared). */
  readonly rssAnonBytes?: number;
}

/** What the lab workload measured. */
export interface LabWorkloadFigures {
  readonly idleSeconds: number;
  readonly scrapedSeconds: number;
  /** 1-minute load average at the start and end of the scraped window, and its max read every 5 s. */
  readonly load1: { readonly start: number; readonly end: number; readonly max: number };
  readonly processes: readonly LabProcessFigures[];
  /** cpu_exporter's CPU over node_exporter's in the scraped window. */
  readonly ratioToNodeExporter: number;
  /** The bare Node floor's CPU over node_exporter's: what any exporter in Node pays before doing its work. */
  readonly floorRatioToNodeExporter: number;
  /** From spawn to the first accepted TCP connection, milliseconds, one run per start (the GPU exporter's nvidia-smi hung). */
  readonly listenMs: { readonly cpuExporter: readonly number[]; readonly gpuExporterNvidiaSmiHung: readonly number[]; readonly bareNode: readonly number[] };
}

/**
 * Milliseconds from spawning `entry` to the first TCP connection its port accepts (polled every 2 ms): how soon it
 * listens, whatever its sources are doing. The process is killed after.
 */
export async function measureListenMs(entry: string, args: readonly string[], env: Record<string, string> = {}): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawnGroup(process.execPath, [entry, '--host', '127.0.0.1', '--port', String(port), ...args], {
    env: { ...process.env, ...env },
    parentDeathSignal: false,
    output: 'pipe',
  });
  child.stdout?.resume();
  child.stderr?.resume();
  try {
    for (;;) {
      const accepted = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
      if (accepted) return performance.now() - started;
      if (child.exitCode !== null || performance.now() - started > 30_000) throw new Error(`${entry} did not listen`);
      await sleep(2);
    }
  } finally {
    if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
  }
}

const FIXTURE = 'intel-laptop-psys-symlinks';
/** The name of the floor process in the figures. */
export const FLOOR = 'bare Node floor';
const floorEntry = fileURLToPath(new URL('./floor-server.js', import.meta.url));

/**
 * The lab's real workload, measured side by side: the CPU exporter, the GPU exporter (fake nvidia-smi) and
 * node_exporter's RAPL collector over one powercap tree, first with nothing scraping, then each scraped by a
 * VictoriaMetrics-like scraper every 1 s and a Prometheus-like one every 5 s, both over keep-alive connections with
 * `Accept-Encoding: gzip`. CPU is utime + stime from /proc, all processes in the same windows, so the ratio holds
 * on a machine other work is loading.
 */
export async function runLabWorkload(options: LabWorkloadOptions): Promise<LabWorkloadFigures> {
  const { log } = options;
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    const tree = materializePowercapTree(FIXTURE, join(options.workDir, 'lab-sysfs'));
    const writer = createEnergyWriter({
      sysfsRoot: tree.root,
      zones: tree.tree.expect.zones.map((z) => ({ id: z.path, zone: z.zone, maxEnergyRangeUj: z.max_energy_range_uj })),
    });
    writer.start();
    cleanups.push(() => writer.stop());
    const logFile = (name: string) => join(options.workDir, 'logs', `${name}.log`);
    const started = async (name: string, start: Promise<{ url: string; service: { pid: number }; stop(): Promise<void> }>) => {
      const running = await start;
      cleanups.push(() => running.stop());
      return { name, url: running.url, pid: running.service.pid };
    };
    const cpuArgs = ['--sysfs-root', tree.root, '--interval', '1s'];
    const targets = await Promise.all([
      started('cpu_exporter', startExporter({ name: 'lab-cpu-exporter', entry: buildPaths.cpuExporter, args: cpuArgs, nodeArgs: SHIPPED_NODE_ARGS, logFile: logFile('lab-cpu-exporter') })),
      ...(options.extraCpuEntries ?? []).map((extra) =>
        started(extra.name, startExporter({ name: `lab-${extra.name}`, entry: extra.entry, args: cpuArgs, nodeArgs: SHIPPED_NODE_ARGS, logFile: logFile(`lab-${extra.name}`) })),
      ),
      started(
        'gpu_exporter',
        startExporter({
          name: 'lab-gpu-exporter',
          entry: buildPaths.gpuExporter,
          args: ['--nvidia-smi', buildPaths.fakeNvidiaSmi, '--interval', '1s'],
          nodeArgs: SHIPPED_NODE_ARGS,
          env: { FAKE_NVIDIA_SMI_CAPTURE: 'h100' },
          logFile: logFile('lab-gpu-exporter'),
        }),
      ),
      started(
        'node_exporter',
        freePort().then((port) => startNodeExporter({ port, sysfsRoot: tree.root, logFile: logFile('lab-node-exporter') })),
      ),
    ]);
    // The floor: a bare Node process doing the least a Node exporter does (wakes each second, serves the CPU
    // exporter's own body gzipped at most once per tick), to tell what any exporter in Node costs from what ours adds.
    await sleep(2500); // two ticks: the body has its series
    const floorBody = join(options.workDir, 'lab-floor-body.prom');
    writeFileSync(floorBody, (await timedGet(`${targets[0]!.url}/metrics`)).body);
    targets.push(
      await started(FLOOR, startExporter({ name: 'lab-floor', entry: floorEntry, args: ['--body-file', floorBody, '--tick-ms', '1000'], logFile: logFile('lab-floor') })),
    );
    const listenMs = { cpuExporter: [] as number[], gpuExporterNvidiaSmiHung: [] as number[], bareNode: [] as number[] };
    for (let i = 0; i < 3; i++) {
      // The floor: a bare Node HTTP server started the same way.
      listenMs.bareNode.push(await measureListenMs(floorEntry, []));
      listenMs.cpuExporter.push(await measureListenMs(buildPaths.cpuExporter, cpuArgs));
      listenMs.gpuExporterNvidiaSmiHung.push(
        await measureListenMs(buildPaths.gpuExporter, ['--nvidia-smi', buildPaths.fakeNvidiaSmi], { FAKE_NVIDIA_SMI_CAPTURE: 'h100', FAKE_NVIDIA_SMI_FAIL: 'hang' }),
      );
    }

    await sleep(10_000); // past start-up: the first rediscovery, the JIT's first optimisations
    log(`lab workload: idle ${options.idleSeconds} s`);
    const idleBefore = targets.map((t) => processCpuSeconds(t.pid));
    const idleT0 = performance.now();
    await sleep(options.idleSeconds * 1000);
    const idleSeconds = (performance.now() - idleT0) / 1000;
    const idleCpu = targets.map((t, i) => (processCpuSeconds(t.pid) - idleBefore[i]!) / idleSeconds);
    const idleMemory = targets.map((t) => readMemory(t.pid));

    log(`lab workload: scrapers at 1 s and 5 s for ${options.scrapedSeconds} s`);
    const scrapes = targets.map(() => ({ ok: 0, failed: 0 }));
    const agents = [new Agent({ keepAlive: true, maxSockets: 1 }), new Agent({ keepAlive: true, maxSockets: 1 })];
    cleanups.push(() => agents.forEach((a) => a.destroy()));
    const load = { start: loadavg()[0]!, max: loadavg()[0]!, end: 0 };
    const loadTimer = setInterval(() => (load.max = Math.max(load.max, loadavg()[0]!)), 5000);
    cleanups.push(() => clearInterval(loadTimer));
    const scrapedBefore = targets.map((t) => processCpuSeconds(t.pid));
    const t0 = performance.now();
    const until = t0 + options.scrapedSeconds * 1000;
    const scraper = (everyMs: number, agent: Agent, offsetMs: number) =>
      sleep(offsetMs).then(() =>
        every(
          everyMs,
          async () => {
            await Promise.all(
              targets.map(async (t, i) => {
                try {
                  const res = await timedGet(`${t.url}/metrics`, { agent, headers: { 'Accept-Encoding': 'gzip' } });
                  if (res.status === 200) scrapes[i]!.ok++;
                  else scrapes[i]!.failed++;
                } catch {
                  scrapes[i]!.failed++;
                }
              }),
            );
          },
          { untilMs: until },
        ),
      );
    await Promise.all([scraper(1000, agents[0]!, 300), scraper(5000, agents[1]!, 700)]);
    await sleep(Math.max(0, until - performance.now()));
    const scrapedSeconds = (performance.now() - t0) / 1000;
    const scrapedCpu = targets.map((t, i) => (processCpuSeconds(t.pid) - scrapedBefore[i]!) / scrapedSeconds);
    load.end = loadavg()[0]!;
    const processes = targets.map((t, i) => ({
      name: t.name,
      idleCpu: idleCpu[i]!,
      scrapedCpu: scrapedCpu[i]!,
      scrapes: scrapes[i]!.ok,
      failedScrapes: scrapes[i]!.failed,
      rssBytes: idleMemory[i]!.rssBytes,
      ...(idleMemory[i]!.rssAnonBytes === undefined ? {} : { rssAnonBytes: idleMemory[i]!.rssAnonBytes }),
    }));
    const ours = processes.find((p) => p.name === 'cpu_exporter')!;
    const node = processes.find((p) => p.name === 'node_exporter')!;
    const floor = processes.find((p) => p.name === FLOOR)!;
    return {
      idleSeconds,
      scrapedSeconds,
      load1: load,
      processes,
      ratioToNodeExporter: ours.scrapedCpu / node.scrapedCpu,
      floorRatioToNodeExporter: floor.scrapedCpu / node.scrapedCpu,
      listenMs,
    };
  } finally {
    while (cleanups.length > 0) {
      try {
        await cleanups.pop()!();
      } catch {
        // best effort
      }
    }
  }
}

/** The lab-workload figures as a table: one row per process, CPU in % of a core. */
export function formatLabWorkload(lab: LabWorkloadFigures): string {
  const pct = (x: number) => `${(x * 100).toFixed(3)} %`;
  const node = lab.processes.find((p) => p.name === 'node_exporter');
  const lines = [
    `Lab workload: scrapers at 1 s and 5 s (keep-alive, Accept-Encoding: gzip) for ${lab.scrapedSeconds.toFixed(0)} s after ${lab.idleSeconds.toFixed(0)} s idle; ` +
      `load (1 min) ${lab.load1.start.toFixed(2)} -> ${lab.load1.end.toFixed(2)}, max ${lab.load1.max.toFixed(2)}`,
    '',
    '| process | idle CPU (of a core) | scraped CPU (of a core) | / node_exporter | scrapes | failed | idle RSS | of which private (RssAnon) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...lab.processes.map(
      (p) =>
        `| ${p.name} | ${pct(p.idleCpu)} | ${pct(p.scrapedCpu)} | ${node && node.scrapedCpu > 0 ? `${(p.scrapedCpu / node.scrapedCpu).toFixed(2)}x` : 'n/a'} | ${p.scrapes} | ${p.failedScrapes} | ${(p.rssBytes / 2 ** 20).toFixed(1)} MB | ${p.rssAnonBytes === undefined ? '' : `${(p.rssAnonBytes / 2 ** 20).toFixed(1)} MB`} |`,
    ),
    '',
    `lab-workload CPU, cpu_exporter / node_exporter: ${lab.ratioToNodeExporter.toFixed(2)}x (target at most 0.5x); ` +
      `the ${FLOOR} (wakes each second, serves the CPU exporter's body gzipped once per tick, nothing else): ${lab.floorRatioToNodeExporter.toFixed(2)}x`,
    `listening after start (spawn to first accepted connection, 3 starts each): cpu_exporter ${lab.listenMs.cpuExporter.map((ms) => ms.toFixed(0)).join(', ')} ms; ` +
      `gpu_exporter with nvidia-smi hung ${lab.listenMs.gpuExporterNvidiaSmiHung.map((ms) => ms.toFixed(0)).join(', ')} ms (target 200 ms); ` +
      `a bare Node HTTP server ${lab.listenMs.bareNode.map((ms) => ms.toFixed(0)).join(', ')} ms`,
  ];
  return `${lines.join('\n')}\n`;
}
