import { Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createExporter } from './exporter.js';
import { exporterFlags, parseFlags } from './flags.js';

describe('createExporter', () => {
  it('wires info, process metrics, the collector and the sampler into one app', async () => {
    let reads = 0;
    const exporter = createExporter({
      prefix: 'demo_exporter',
      title: 'Demo',
      description: 'A demo.',
      version: '9.9.9',
      intervalMs: 60_000,
      collector: (registry) => {
        const gauge = new Gauge({ name: 'demo_reads', help: 'Reads.', registers: [registry] });
        return {
          sample: () => gauge.set(++reads),
          health: () => ({ status: 'degraded', reasons: ['just a demo'] }),
        };
      },
    });
    await exporter.sampler.start();
    const body = await (await exporter.app.request('/metrics')).text();
    await exporter.sampler.stop();
    expect(body).toContain('demo_exporter_info{version="9.9.9",language="typescript"');
    expect(body).toContain('process_resident_memory_bytes ');
    expect(body).toContain('demo_reads 1\n');
    expect(body).toContain('demo_exporter_sampler_ticks_total 1\n');
    // a scrape reads nothing: the collector ran once, at the tick
    await exporter.app.request('/metrics');
    expect(reads).toBe(1);
    const health = await exporter.app.request('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'degraded', reasons: ['just a demo'], version: '9.9.9' });
  });
});

describe('exporterFlags', () => {
  it('names each environment variable after the prefix', () => {
    const flags = exporterFlags({ envPrefix: 'DEMO_EXPORTER', port: 9600, intervalDescription: 'how often' });
    expect(Object.fromEntries(Object.entries(flags).map(([name, spec]) => [name, spec.env]))).toEqual({
      port: 'DEMO_EXPORTER_PORT',
      host: 'DEMO_EXPORTER_HOST',
      interval: 'DEMO_EXPORTER_INTERVAL',
      'log-level': 'DEMO_EXPORTER_LOG_LEVEL',
    });
    const parsed = parseFlags(flags, [], { DEMO_EXPORTER_INTERVAL: '250ms' });
    expect(parsed).toEqual({ kind: 'run', values: { port: 9600, host: '0.0.0.0', interval: 250, 'log-level': 'info' } });
  });
});
