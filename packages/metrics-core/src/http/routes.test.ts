import { gunzipSync } from 'node:zlib';
import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createExposition } from '../metrics/exposition.js';
import { createExporterApp, createFastPath, type HealthReport } from './routes.js';
import { startServer } from './server.js';
import type { SamplerStatus } from '../metrics/sampler.js';

const status = (stalled = false): SamplerStatus => ({
  running: true,
  intervalMs: 1000,
  ticks: 7,
  missedTicks: 0,
  failedSamples: 0,
  lastTickDoneAtMs: 1,
  stalled,
  stallAfterMs: 3000,
});

async function setup(health: HealthReport = { status: 'ok', reasons: [] }, stalled = false) {
  const registry = new Registry();
  new Gauge({ name: 'up_things', help: 'Things.', registers: [registry] }).set(3);
  const exposition = createExposition(registry);
  await exposition.render();
  return createExporterApp({
    title: 'Test exporter',
    version: '1.2.3',
    description: 'Serves <things>.',
    exposition,
    health: () => health,
    samplerStatus: () => status(stalled),
  });
}

describe('createExporterApp', () => {
  it('serves the latest rendering on GET /metrics with the Prometheus content type', async () => {
    const res = await (await setup()).request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await res.text()).toContain('up_things 3\n');
  });

  it('serves OpenMetrics when Accept asks, gzip when Accept-Encoding does', async () => {
    const app = await setup();
    const res = await app.request('/metrics', { headers: { Accept: 'application/openmetrics-text; version=1.0.0', 'Accept-Encoding': 'gzip' } });
    expect(res.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(gunzipSync(Buffer.from(await res.arrayBuffer())).toString()).toMatch(/up_things 3\n# EOF\n$/);
  });

  it('answers /health 200 when ok and when degraded, with the reasons', async () => {
    const ok = await (await setup()).request('/health');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ status: 'ok', reasons: [], version: '1.2.3', sampler: { ticks: 7 } });
    const degraded = await (await setup({ status: 'degraded', reasons: ['no GPU'], details: { gpus: 0 } })).request('/health');
    expect(degraded.status).toBe(200);
    expect(await degraded.json()).toMatchObject({ status: 'degraded', reasons: ['no GPU'], gpus: 0 });
  });

  it('answers /health 503 only when the sampler has stalled', async () => {
    const res = await (await setup({ status: 'ok', reasons: [] }, true)).request('/health');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; reasons: string[] };
    expect(body.status).toBe('stalled');
    expect(body.reasons[0]).toContain('sampler stalled');
  });

  it('answers /health 200 `starting` before the first sample, whatever the collectors say, then their status', async () => {
    const exposition = createExposition(new Registry());
    await exposition.render();
    let sampler: SamplerStatus = { ...status(), ticks: 0, lastTickDoneAtMs: undefined };
    const app = createExporterApp({
      title: 'Test exporter',
      version: '1.2.3',
      description: 'd',
      exposition,
      health: () => ({ status: 'degraded', reasons: ['no GPU yet'] }),
      samplerStatus: () => sampler,
    });
    const before = await app.request('/health');
    expect(before.status).toBe(200);
    expect(await before.json()).toMatchObject({ status: 'starting', reasons: ['no GPU yet'] });
    sampler = status();
    expect(await (await app.request('/health')).json()).toMatchObject({ status: 'degraded' });
    sampler = { ...status(true), ticks: 0, lastTickDoneAtMs: undefined };
    const stuck = await app.request('/health');
    expect(stuck.status).toBe(503);
    expect(await stuck.json()).toMatchObject({ status: 'stalled' });
  });

  it('serves a landing page linking /metrics and /health, escaped', async () => {
    const res = await (await setup()).request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('href="/metrics"');
    expect(html).toContain('href="/health"');
    expect(html).toContain('Serves &#60;things&#62;.');
  });

  it('answers HEAD like GET, without a body', async () => {
    const res = await (await setup()).request('/metrics', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('answers %s with 405 and Allow', async (method) => {
    const app = await setup();
    for (const path of ['/metrics', '/health', '/']) {
      const res = await app.request(path, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
    }
  });

  it('answers other paths with 404', async () => {
    const app = await setup();
    for (const path of ['/metric', '/metrics/x', '/favicon.ico', '/health/']) {
      expect((await app.request(path)).status).toBe(404);
    }
  });
});

describe('createFastPath', () => {
  it('answers GET /metrics and /health with the bytes and headers the app answers, and leaves the rest to the app', async () => {
    const registry = new Registry();
    new Gauge({ name: 'up_things', help: 'Things.', registers: [registry] }).set(3);
    const exposition = createExposition(registry);
    await exposition.render();
    const options = {
      title: 'Test exporter',
      version: '1.2.3',
      description: 'd',
      exposition,
      health: (): HealthReport => ({ status: 'degraded', reasons: ['r'] }),
      samplerStatus: () => status(),
    };
    const app = createExporterApp(options);
    const fastPath = createFastPath(options);
    let taken = 0;
    const server = await startServer(app, { host: '127.0.0.1', port: 0, fastPath: (req, res) => fastPath(req, res) && ++taken > 0 });
    const plain = await startServer(app, { host: '127.0.0.1', port: 0 });
    try {
      const cases: [string, Record<string, string>][] = [
        ['/metrics', {}],
        ['/metrics', { 'accept-encoding': 'gzip' }],
        ['/metrics', { accept: 'application/openmetrics-text' }],
        ['/health', {}],
      ];
      for (const [path, headers] of cases) {
        const viaSocket = await fetch(`${server.url}${path}`, { headers });
        const viaApp = await fetch(`${plain.url}${path}`, { headers });
        expect(viaSocket.status).toBe(viaApp.status);
        for (const name of ['content-type', 'content-encoding', 'vary', 'cache-control']) {
          expect([path, name, viaSocket.headers.get(name)]).toEqual([path, name, viaApp.headers.get(name)]);
        }
        // fetch undoes gzip on both sides: this compares what each said
        expect(await viaSocket.text()).toBe(await viaApp.text());
        expect(viaSocket.headers.get('content-length')).toBe(viaApp.headers.get('content-length'));
      }
      expect(taken).toBe(cases.length);
      const landing = await fetch(`${server.url}/`);
      expect(landing.status).toBe(200);
      expect(await landing.text()).toContain('<h1>Test exporter</h1>');
      expect((await fetch(`${server.url}/metrics`, { method: 'POST' })).status).toBe(405);
      expect(taken).toBe(cases.length);
    } finally {
      await server.close();
      await plain.close();
    }
  });
});
