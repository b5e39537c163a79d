import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { acceptsGzip, createExposition, createTextRenderer, negotiateFormat, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_TEXT_CONTENT_TYPE, toOpenMetrics } from './exposition.js';

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
    expect(Buffer.from(body.body).toString()).toContain('g 1\n');
    // The same bytes for every request until the next rendering: nothing encoded per scrape.
    expect(exposition.respond('*/*', undefined)!.body).toBe(body.body);
    await exposition.render();
    expect(Buffer.from(exposition.respond('*/*', undefined)!.body).toString()).toContain('g 2\n');
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

describe('createTextRenderer', () => {
  const labelValue = fc.oneof(fc.constantFrom('', 'psys', 'a"b', 'back\\slash', 'new\nline', 'ünï'), fc.string({ maxLength: 6 }));
  const sampleValue = fc.oneof(
    fc.double(),
    fc.integer({ min: -1e6, max: 1e6 }),
    fc.constantFrom(0, -0, 1e21, 1e-7, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  );
  // Each step sets, increments, observes or removes one series; the renderer is compared after every step.
  const step = fc.record({
    family: fc.integer({ min: 0, max: 3 }),
    zone: labelValue,
    pkg: fc.constantFrom('0', '1'),
    value: sampleValue,
    remove: fc.boolean(),
  });

  it("renders byte for byte what prom-client's registry.metrics() renders, render after render", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), async (steps) => {
        const registry = new Registry();
        new Gauge({ name: 'info', help: 'Help with \\ and\nnewline.', registers: [registry] }).set(1);
        const gauge = new Gauge({ name: 'power_watts', help: 'Power.', labelNames: ['zone', 'package'], registers: [registry] });
        const counter = new Counter({ name: 'energy_joules_total', help: 'Energy.', labelNames: ['zone'], registers: [registry] });
        const histogram = new Histogram({ name: 'lag_seconds', help: 'Lag.', buckets: [0.00005, 0.001, 1], labelNames: ['zone'], registers: [registry] });
        const plain = new Histogram({ name: 'plain_seconds', help: 'Plain.', buckets: [0.5], registers: [registry] });
        const render = createTextRenderer(registry);
        expect(await render()).toBe(await registry.metrics());
        for (const s of steps) {
          const finite = Number.isFinite(s.value) ? s.value : 1;
          if (s.family === 0) {
            if (s.remove) gauge.remove({ zone: s.zone, package: s.pkg });
            else gauge.set({ zone: s.zone, package: s.pkg }, s.value);
          } else if (s.family === 1) {
            if (s.remove) counter.reset();
            else counter.inc({ zone: s.zone }, Math.abs(finite));
          } else if (s.family === 2) {
            if (s.remove) histogram.remove({ zone: s.zone });
            else histogram.observe({ zone: s.zone }, finite);
          } else {
            plain.observe(finite);
          }
          expect(await render()).toBe(await registry.metrics());
        }
      }),
      { numRuns: 60 },
    );
  });

  it('runs each metric\'s collect() before reading it', async () => {
    const registry = new Registry();
    let reads = 0;
    new Gauge({
      name: 'reads',
      help: 'Reads.',
      registers: [registry],
      collect() {
        this.set(++reads);
      },
    });
    const render = createTextRenderer(registry);
    expect(await render()).toBe('# HELP reads Reads.\n# TYPE reads gauge\nreads 1\n');
    expect(await render()).toBe('# HELP reads Reads.\n# TYPE reads gauge\nreads 2\n');
  });

  it("falls back to prom-client's rendering for what it does not know (summaries, default labels)", async () => {
    const registry = new Registry();
    new Gauge({ name: 'g', help: 'G.', registers: [registry] }).set(2);
    new Summary({ name: 's', help: 'S.', percentiles: [0.5], registers: [registry] }).observe(3);
    const render = createTextRenderer(registry);
    const text = await render();
    expect(text).toContain('s{quantile="0.5"} 3');
    expect(text).toBe(await registry.metrics());

    const labelled = new Registry();
    new Gauge({ name: 'g', help: 'G.', labelNames: ['zone'], registers: [labelled] }).set({ zone: 'a' }, 1);
    labelled.setDefaultLabels({ host: 'h' });
    const labelledText = await createTextRenderer(labelled)();
    expect(labelledText).toContain('g{zone="a",host="h"} 1');
    expect(labelledText).toBe(await labelled.metrics());
  });
});
