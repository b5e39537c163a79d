import { Gauge } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Collector } from '../metrics/collector.js';
import { createExporter, createExporterRegistry } from './exporter.js';
import { exporterFlags, parseFlags } from '../cli/flags.js';

// The demo exporter each test wires; only its collectors (and the registry they register on) change.
function demoExporter(collectors: readonly Collector[], registry = createExporterRegistry({ prefix: 'demo_exporter', version: '9.9.9' })) {
  return createExporter({ registry, prefix: 'demo_exporter', title: 'Demo', description: 'A demo.', version: '9.9.9', intervalMs: 60_000, collectors });
}

describe('createExporter', () => {
  it('wires info, process metrics, the collector and the sampler into one app', async () => {
    let reads = 0;
    const registry = createExporterRegistry({ prefix: 'demo_exporter', version: '9.9.9' });
    const gauge = new Gauge({ name: 'demo_reads', help: 'Reads.', registers: [registry] });
    const exporter = demoExporter([{ sample: () => gauge.set(++reads), health: () => ({ status: 'degraded', reasons: ['just a demo'] }) }], registry);
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

describe('createExporter before its first sample', () => {
  it('serves what the registry holds while a collector is still starting, and /health says starting', async () => {
    let release: () => void = () => {};
    // A source whose start waits for its program's first answer (nvidia-smi), here until released.
    const exporter = demoExporter([{ start: () => new Promise<void>((resolve) => (release = resolve)), sample: () => {}, health: () => ({ status: 'ok', reasons: [] }) }]);
    const starting = exporter.start();
    await new Promise((resolve) => setImmediate(resolve));
    const early = await exporter.app.request('/metrics');
    expect(early.status).toBe(200);
    const body = await early.text();
    expect(body).toContain('demo_exporter_info{version="9.9.9",language="typescript"');
    expect(body).toContain('demo_exporter_sampler_ticks_total 0\n');
    expect(await (await exporter.app.request('/health')).json()).toMatchObject({ status: 'starting' });
    release();
    await starting;
    expect(await (await exporter.app.request('/metrics')).text()).toContain('demo_exporter_sampler_ticks_total 1\n');
    expect(await (await exporter.app.request('/health')).json()).toMatchObject({ status: 'ok' });
    await exporter.close();
  });
});

describe('createExporter with several collectors', () => {
  it('samples them in order each tick, so a consumer reads its producer\'s output of the same tick', async () => {
    const events: string[] = [];
    // A producer exposing what its latest sample computed, and a consumer built on it.
    let latest: { tick: number; joules: number } | undefined;
    const producer: Collector & { lastEnergy(): typeof latest } = {
      sample: (tick) => {
        latest = { tick: tick.index, joules: 10 * (tick.index + 1) };
        events.push(`produce ${tick.index}`);
      },
      health: () => ({ status: 'ok', reasons: [], details: { zones: 2 } }),
      start: () => void events.push('start producer'),
      close: () => void events.push('close producer'),
      lastEnergy: () => latest,
    };
    const seen: { tick: number; joules: number }[] = [];
    const consumer: Collector = {
      sample: (tick) => {
        const energy = producer.lastEnergy()!;
        expect(energy.tick).toBe(tick.index);
        seen.push(energy);
        events.push(`consume ${tick.index}`);
      },
      health: () => ({ status: 'degraded', reasons: ['no processes matched'], details: { processes: 0 } }),
      start: () => void events.push('start consumer'),
      close: () => void events.push('close consumer'),
    };
    const exporter = demoExporter([producer, consumer]);
    await exporter.start();
    await exporter.close();
    expect(events).toEqual(['start producer', 'start consumer', 'produce 0', 'consume 0', 'close consumer', 'close producer']);
    expect(seen).toEqual([{ tick: 0, joules: 10 }]);
    expect(exporter.health()).toEqual({ status: 'degraded', reasons: ['no processes matched'], details: { zones: 2, processes: 0 } });
  });

  it('keeps sampling the others when one collector throws, and counts the tick as failed', async () => {
    let sampledAfter = 0;
    const exporter = demoExporter([
      { sample: () => { throw new Error('broken source'); }, health: () => ({ status: 'ok', reasons: [] }) },
      { sample: () => void sampledAfter++, health: () => ({ status: 'ok', reasons: [] }) },
    ]);
    await exporter.start();
    await exporter.close();
    expect(sampledAfter).toBe(1);
    expect(exporter.sampler.status().failedSamples).toBe(1);
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
      'web.config.file': 'DEMO_EXPORTER_WEB_CONFIG_FILE',
      'healthcheck.user': 'DEMO_EXPORTER_HEALTHCHECK_USER',
      'healthcheck.client-cert-file': 'DEMO_EXPORTER_HEALTHCHECK_CLIENT_CERT_FILE',
      'healthcheck.client-key-file': 'DEMO_EXPORTER_HEALTHCHECK_CLIENT_KEY_FILE',
    });
    const parsed = parseFlags(flags, [], { DEMO_EXPORTER_INTERVAL: '250ms', DEMO_EXPORTER_WEB_CONFIG_FILE: '/etc/web.yml' });
    expect(parsed).toEqual({
      kind: 'run',
      values: { port: 9600, host: '0.0.0.0', interval: 250, 'log-level': 'info', 'web.config.file': '/etc/web.yml', 'healthcheck.user': '', 'healthcheck.client-cert-file': '', 'healthcheck.client-key-file': '' },
    });
    expect(parseFlags(flags, ['--web.config.file', 'a.yml'], {})).toMatchObject({ values: { 'web.config.file': 'a.yml' } });
    expect(() => parseFlags(flags, ['--web.config.file', 'a.yml', '--web.config.file=b.yml'], {})).toThrow('--web.config.file: given more than once');
  });
});
