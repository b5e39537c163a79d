// Per-tick rendering cost, old and new side by side in one process (the same window, so load on a shared machine
// hits both alike): prom-client's registry.metrics() against metrics-core's createTextRenderer over a registry shaped
// like the CPU exporter's (info, process and sampler metrics, five RAPL zones, read errors), values changed before
// every render as a tick changes them. Rounds alternate between the two so neither gets the quieter moments.
// Run: node dist/render-probe.js --renders 2000 --rounds 10   (prints one JSON line)
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { createExporterRegistry } from '@proj/metrics-core/http';
import { createSampler, createTextRenderer } from '@proj/metrics-core/metrics';

/** What one probe run reports, microseconds of CPU (process.cpuUsage) per render. */
export interface RenderProbeResult {
  readonly renders: number;
  readonly promClientUs: number;
  readonly cachedUs: number;
  readonly bytes: number;
  readonly identical: boolean;
}

/** The part of prom-client's Gauge and Counter used here (this package does not depend on prom-client itself). */
type MetricClass<M> = new (config: { name: string; help: string; labelNames?: readonly string[]; registers: readonly unknown[] }) => M;
interface GaugeLike {
  set(labels: Record<string, string>, value: number): void;
}
interface CounterLike {
  inc(labels: Record<string, string>, value: number): void;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { renders: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '10' } } });
  const renders = Number(values.renders);
  const rounds = Number(values.rounds);
  const registry = createExporterRegistry({ prefix: 'cpu_exporter', version: '0.1.0' });
  // The sampler's own metrics, registered as the exporter registers them (it is never started).
  createSampler({ intervalMs: 1000, registry, prefix: 'cpu_exporter', sample: () => {} });
  // prom-client's classes as metrics-core loaded them.
  const Gauge = registry.getSingleMetric('cpu_exporter_info')!.constructor as MetricClass<GaugeLike>;
  const Counter = registry.getSingleMetric('process_cpu_seconds_total')!.constructor as MetricClass<CounterLike>;
  const zones: Record<string, string>[] = [
    { zone: 'package_0', package: '0' },
    { zone: 'core', package: '0' },
    { zone: 'uncore', package: '0' },
    { zone: 'dram', package: '0' },
    { zone: 'psys' },
  ];
  const power = new Gauge({ name: 'rapl_power_watts', help: 'Average power over the last interval.', labelNames: ['zone', 'package'], registers: [registry] });
  const energy = new Counter({ name: 'rapl_energy_joules_total', help: 'Energy since start.', labelNames: ['zone', 'package'], registers: [registry] });
  const errors = new Counter({ name: 'cpu_exporter_read_errors_total', help: 'Read errors by reason.', labelNames: ['reason'], registers: [registry] });
  for (const reason of ['eacces', 'enoent', 'eio', 'malformed']) errors.inc({ reason }, 0);
  let tick = 0;
  const change = () => {
    tick++;
    for (const z of zones) {
      power.set(z, 10 + Math.random() * 20);
      energy.inc(z, Math.random() * 30);
    }
  };
  const cached = createTextRenderer(registry);
  change();
  // process_cpu_seconds_total is read at render time, so it differs between two renders; the rest must not.
  const stable = (text: string) => text.replace(/^process_cpu_seconds_total .*$/m, '');
  const identical = stable(await cached()) === stable(await registry.metrics());
  const bytes = (await registry.metrics()).length;
  const cpuUs = async (render: () => Promise<string>): Promise<number> => {
    const before = process.cpuUsage();
    for (let i = 0; i < renders; i++) {
      change();
      await render();
    }
    const used = process.cpuUsage(before);
    return used.user + used.system;
  };
  let promClient = 0;
  let ours = 0;
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    promClient += await cpuUs(() => registry.metrics());
    ours += await cpuUs(cached);
  }
  const result: RenderProbeResult & { seconds: number; ticks: number } = {
    renders: renders * rounds,
    promClientUs: promClient / (renders * rounds),
    cachedUs: ours / (renders * rounds),
    bytes,
    identical,
    seconds: (performance.now() - t0) / 1000,
    ticks: tick,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

void main();
