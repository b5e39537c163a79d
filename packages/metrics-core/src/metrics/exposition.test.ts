import { gunzipSync } from 'node:zlib';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { acceptsGzip, createExposition, negotiateFormat, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_TEXT_CONTENT_TYPE, toOpenMetrics } from './exposition.js';

// What real scrapers send.
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
const VMAGENT_ACCEPT = 'text/plain;version=0.0.4;q=1,*/*;q=0.1';

function populate(registry: Registry): void {
  const power = new Gauge({ name: 'rapl_power_watts', help: 'Power.', labelNames: ['zone', 'package'], registers: [registry] });
  power.set({ zone: 'package_0', package: '0' }, 12.5);
  power.set({ zone: 'psys' }, 20);
  const energy = new Counter({ name: 'rapl_energy_joules_total', help: 'Energy so far.', labelNames: ['zone'], registers: [registry] });
  energy.inc({ zone: 'core' }, 3.25);
  const lag = new Histogram({ name: 'x_lag_seconds', help: 'Lag.', buckets: [0.001, 0.01], registers: [registry] });
  lag.observe(0.002);
}

describe('negotiateFormat', () => {
  it.each([
    [undefined, 'prometheus'],
    ['', 'prometheus'],
    ['*/*', 'prometheus'],
    [VMAGENT_ACCEPT, 'prometheus'],
    [PROMETHEUS_ACCEPT, 'openmetrics'],
    ['application/openmetrics-text', 'openmetrics'],
    ['application/openmetrics-text;q=0.2,text/plain;q=0.9', 'prometheus'],
    ['application/openmetrics-text;q=0', 'prometheus'],
    ['application/json', 'prometheus'],
  ])('%j -> %s', (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });

  it.each([
    [undefined, false],
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['identity', false],
    ['gzip;q=0', false],
    ['*', true],
    ['*;q=0.5, gzip;q=0', false],
  ])('accept-encoding %j -> gzip %s', (header, gzip) => {
    expect(acceptsGzip(header)).toBe(gzip);
  });
});

describe('toOpenMetrics', () => {
  it("says exactly what prom-client's own OpenMetrics rendering says", async () => {
    const prometheus = new Registry();
    populate(prometheus);
    const openMetrics = new Registry();
    openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    populate(openMetrics);
    expect(toOpenMetrics(await prometheus.metrics())).toBe(await openMetrics.metrics());
  });

  it('escapes double quotes in HELP, as the OpenMetrics grammar requires (prom-client does not)', () => {
    const text = '# HELP g A "quoted" word.\n# TYPE g gauge\ng 1\n';
    expect(toOpenMetrics(text)).toBe('# HELP g A \\"quoted\\" word.\n# TYPE g gauge\ng 1\n# EOF\n');
  });

  it('gives a counter without _total its suffix on the samples', () => {
    const text = '# HELP c_things Things.\n# TYPE c_things counter\nc_things{a="1"} 3\n';
    expect(toOpenMetrics(text)).toBe('# HELP c_things Things.\n# TYPE c_things counter\nc_things_total{a="1"} 3\n# EOF\n');
  });
});

describe('createExposition', () => {
  it('serves nothing before the first render', () => {
    expect(createExposition(new Registry()).respond(undefined, undefined)).toBeUndefined();
  });

  it('renders once per render() and keeps serving that rendering', async () => {
    const registry = new Registry();
    const gauge = new Gauge({ name: 'g', help: 'G.', registers: [registry] });
    const exposition = createExposition(registry);
    gauge.set(1);
    await exposition.render();
    gauge.set(2); // not rendered yet: scrapes keep seeing the last sample
    const body = exposition.respond('*/*', undefined)!;
    expect(body.contentType).toBe(PROMETHEUS_TEXT_CONTENT_TYPE);
    expect(body.body).toContain('g 1\n');
    await exposition.render();
    expect(exposition.respond('*/*', undefined)!.body).toContain('g 2\n');
    expect(exposition.generation).toBe(2);
  });

  it('gzips and converts once per rendering, whoever asks', async () => {
    const registry = new Registry();
    populate(registry);
    const exposition = createExposition(registry);
    await exposition.render();
    const gz1 = exposition.respond(VMAGENT_ACCEPT, 'gzip')!;
    const gz2 = exposition.respond(VMAGENT_ACCEPT, 'gzip')!;
    expect(gz1.contentEncoding).toBe('gzip');
    expect(gz2.body).toBe(gz1.body);
    expect(gunzipSync(gz1.body as Uint8Array).toString()).toBe(await registry.metrics());
    const om = exposition.respond(PROMETHEUS_ACCEPT, 'gzip')!;
    expect(om.contentType).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(gunzipSync(om.body as Uint8Array).toString()).toMatch(/# EOF\n$/);
    expect(exposition.respond(PROMETHEUS_ACCEPT, 'gzip')!.body).toBe(om.body);
    await exposition.render();
    expect(exposition.respond(VMAGENT_ACCEPT, 'gzip')!.body).not.toBe(gz1.body);
  });
});
