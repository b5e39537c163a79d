import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { materializePowercapTree, parseSamples, sampleValue } from '@proj/fixtures';
import { createEnergyWriter } from './energy-writer.js';
import { startExporter } from './exporter.js';
import { buildPaths } from './paths.js';
import { freePort } from './ports.js';
import { targetFileContent } from './scrape-config.js';
import { startStaticTargets } from './static-targets.js';
import { startVictoriaMetrics } from './victoriametrics.js';
import { startVmagent, vmagentPaths } from './vmagent.js';
import { sleep } from './wait.js';

/** What one vmagent cost while scraping `targets` targets every second. */
export interface VmagentCostFigures {
  readonly targets: number;
  readonly seriesPerTarget: number;
  readonly seconds: number;
  /** CPU seconds per second of wall time over the window (1 = one core), from its process_cpu_seconds_total. */
  readonly cpuCores: number;
  /** Resident memory at the end of the window, from its process_resident_memory_bytes. */
  readonly rssBytes: number;
  /** Samples it scraped per second over the window (vm_promscrape_scraped_samples_sum). */
  readonly samplesPerSecond: number;
  /** VictoriaMetrics' CPU seconds per second over the same window, ingesting what the agent sent. */
  readonly storeCpuCores: number;
  /** Rows VictoriaMetrics stored per second over the window (vm_rows_inserted_total). */
  readonly storeRowsPerSecond: number;
  /** With VictoriaMetrics stopped for `outageSeconds`: bytes the agent wrote to its disk buffer per sample scraped. */
  readonly bufferBytesPerSample: number;
  readonly outageSeconds: number;
}

/** Options for measureVmagentCost. */
export interface VmagentCostOptions {
  readonly workDir: string;
  readonly targetCounts: readonly number[];
  /** Measured window per count, after a warm-up. */
  readonly seconds: number;
  readonly warmupSeconds?: number;
  /** How long VictoriaMetrics is stopped after the window, to size the agent's disk buffer; 10 s by default. */
  readonly outageSeconds?: number;
  /** The built CPU exporter whose /metrics body the targets serve; apps/cpu-exporter/dist/main.js by default. */
  readonly exporterEntry?: string;
  readonly log?: (line: string) => void;
}

async function scrapeSelf(url: string) {
  return parseSamples(await (await fetch(`${url}/metrics`)).text());
}

/** Sum of every sample named `name` (all label sets) in a parsed exposition. Pure. */
export function sumOf(samples: ReturnType<typeof parseSamples>, name: string): number {
  return samples.filter((s) => s.name === name).reduce((sum, s) => sum + s.value, 0);
}

/**
 * A /metrics body of the real CPU exporter on a two-socket fixture tree (package, dram per socket), taken
 * after a few samples: what each static target serves.
 */
export async function captureCpuExporterBody(workDir: string, entry: string = buildPaths.cpuExporter): Promise<string> {
  const tree = materializePowercapTree('xeon-2socket-dram');
  const writer = createEnergyWriter({
    sysfsRoot: tree.root,
    zones: tree.tree.expect.zones.map((z) => ({ id: z.path, zone: z.zone, maxEnergyRangeUj: z.max_energy_range_uj })),
  });
  writer.start();
  const exporter = await startExporter({ name: 'cpu-exporter', entry, args: ['--sysfs-root', tree.root], logFile: join(workDir, 'cpu-exporter.log') });
  try {
    await sleep(3_000);
    return await (await fetch(`${exporter.url}/metrics`)).text();
  } finally {
    await exporter.stop();
    writer.stop();
    tree.remove();
  }
}

/**
 * Runs one vmagent (the infra/vmagent config and flags) scraping N static targets every second into a local
 * VictoriaMetrics, for each N of `targetCounts`, and reads both processes' own CPU and memory counters.
 */
export async function measureVmagentCost(options: VmagentCostOptions): Promise<VmagentCostFigures[]> {
  const log = options.log ?? (() => {});
  mkdirSync(options.workDir, { recursive: true });
  const body = await captureCpuExporterBody(options.workDir, options.exporterEntry);
  const bodyFile = join(options.workDir, 'body.prom');
  writeFileSync(bodyFile, body);
  const seriesPerTarget = parseSamples(body).length;
  log(`body: ${seriesPerTarget} series of the CPU exporter on xeon-2socket-dram`);
  const figures: VmagentCostFigures[] = [];
  for (const count of options.targetCounts) {
    const dir = join(options.workDir, `n${count}`);
    mkdirSync(join(dir, 'config', 'targets'), { recursive: true });
    const vmScrape = join(dir, 'vm-scrape.yml');
    writeFileSync(vmScrape, 'scrape_configs: []\n');
    const targets = await startStaticTargets({ bodyFile, count, logFile: join(dir, 'static-targets.log') });
    const vm = await startVictoriaMetrics({ port: await freePort(), dataDir: join(dir, 'vm-data'), scrapeConfig: vmScrape, logFile: join(dir, 'vm.log') });
    const scrapeConfig = join(dir, 'config', 'scrape.yml');
    copyFileSync(vmagentPaths.scrapeConfig, scrapeConfig);
    writeFileSync(join(dir, 'config', 'targets', 'cpu-exporter.json'), targetFileContent(targets.targets, { rack: 'bench' }));
    writeFileSync(join(dir, 'config', 'targets', 'gpu-exporter.json'), '[]\n');
    const agent = await startVmagent({
      port: await freePort(),
      scrapeConfig,
      remoteWriteUrl: `${vm.url}/api/v1/write`,
      tmpDataPath: join(dir, 'vmagent-data'),
      logFile: join(dir, 'vmagent.log'),
    });
    try {
      await sleep((options.warmupSeconds ?? 10) * 1000);
      const [a0, s0, t0] = [await scrapeSelf(agent.url), await scrapeSelf(vm.url), performance.now()];
      await sleep(options.seconds * 1000);
      const [a1, s1, t1] = [await scrapeSelf(agent.url), await scrapeSelf(vm.url), performance.now()];
      const wall = (t1 - t0) / 1000;
      const delta = (a: typeof a0, b: typeof a0, name: string) => sumOf(b, name) - sumOf(a, name);
      // The store goes away: what the agent cannot send goes to its disk buffer (-remoteWrite.tmpDataPath).
      const outageSeconds = options.outageSeconds ?? 10;
      await vm.stop();
      const b0 = await scrapeSelf(agent.url);
      await sleep(outageSeconds * 1000);
      const b1 = await scrapeSelf(agent.url);
      const row: VmagentCostFigures = {
        targets: count,
        seriesPerTarget,
        seconds: Math.round(wall),
        cpuCores: delta(a0, a1, 'process_cpu_seconds_total') / wall,
        rssBytes: sampleValue(a1, 'process_resident_memory_bytes') ?? Number.NaN,
        samplesPerSecond: delta(a0, a1, 'vm_promscrape_scraped_samples_sum') / wall,
        storeCpuCores: delta(s0, s1, 'process_cpu_seconds_total') / wall,
        storeRowsPerSecond: delta(s0, s1, 'vm_rows_inserted_total') / wall,
        bufferBytesPerSample: delta(b0, b1, 'vm_persistentqueue_bytes_written_total') / delta(b0, b1, 'vm_promscrape_scraped_samples_sum'),
        outageSeconds,
      };
      log(formatCostRow(row));
      figures.push(row);
    } finally {
      await agent.stop();
      await vm.stop();
      await targets.stop();
    }
  }
  return figures;
}

/** One line of figures, for logs and docs/FLEET.md. Pure. */
export function formatCostRow(row: VmagentCostFigures): string {
  const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
  return [
    `${row.targets} targets x ${row.seriesPerTarget} series at 1 s for ${row.seconds} s:`,
    `vmagent ${(row.cpuCores * 100).toFixed(1)}% of a core (${((row.cpuCores * 1000) / row.targets).toFixed(2)} ms CPU per target per second),`,
    `RSS ${mib(row.rssBytes)} MiB, ${Math.round(row.samplesPerSecond)} samples/s scraped;`,
    `VictoriaMetrics ${(row.storeCpuCores * 100).toFixed(1)}% of a core for ${Math.round(row.storeRowsPerSecond)} rows/s;`,
    `store down ${row.outageSeconds} s: ${row.bufferBytesPerSample.toFixed(1)} bytes of disk buffer per sample`,
  ].join(' ');
}
