import { gzipSync, type ZlibOptions } from 'node:zlib';
import type { MetricObject, Registry } from 'prom-client';

/** Content-Type of the Prometheus text format (0.0.4) that `/metrics` serves by default. */
export const PROMETHEUS_TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** Content-Type of OpenMetrics 1.0.0 text, served when the scraper's Accept asks for it. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/**
 * How `/metrics` bodies are gzipped: the fastest level with a small window and hash table. A body is gzipped at
 * most once per sample, cold, so zlib's set-up (the memory it allocates and clears) weighs as much as compressing.
 * For the CPU exporter's 8.6 KB body these settings took a gzip from 284 to 249 us of CPU, for 8 % more bytes
 * (2,259 vs 2,082): `node tools/bench/dist/gzip-probe.js` (docs/BENCHMARKS.md, notes). Any gzip reader accepts a
 * window smaller than 32 KB.
 */
export const GZIP_OPTIONS: Readonly<ZlibOptions> = { level: 1, memLevel: 4, windowBits: 13 };

/** An exposition format a scraper can ask for. */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

/** A ready-to-send /metrics body: bytes, the same ones for every request until the next rendering. */
export interface ExpositionBody {
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly contentEncoding?: 'gzip';
}

/** The latest rendering of a registry, served from memory. */
export interface Exposition {
  /** Renders the registry; call it once per sample (the sampler's `publish`). */
  render(): Promise<void>;
  /** The latest rendering for these request headers, or undefined before the first render. */
  respond(accept: string | undefined, acceptEncoding: string | undefined): ExpositionBody | undefined;
  /** How many renders have been done. */
  readonly generation: number;
}

interface Rendering {
  readonly text: string;
  /**
   * The text as UTF-8, encoded once per rendering: a string answer would be measured (Content-Length) and encoded
   * again for every request, which under load is most of what a scrape allocates.
   */
  readonly bytes: Buffer;
  openMetrics?: Buffer;
  gzippedText?: Uint8Array;
  gzippedOpenMetrics?: Uint8Array;
}

/**
 * Creates an Exposition over `registry`. The text is rendered once per `render()`; the OpenMetrics variant and
 * the gzipped bodies are made on the first request that wants them and kept until the next render, so each
 * costs at most once per sample however many scrapers ask.
 */
export function createExposition(registry: Registry): Exposition {
  const renderText = createTextRenderer(registry);
  let current: Rendering | undefined;
  let generation = 0;
  return {
    async render() {
      const text = await renderText();
      current = { text, bytes: Buffer.from(text) };
      generation++;
    },
    respond(accept, acceptEncoding) {
      const rendering = current;
      if (!rendering) return undefined;
      const format = negotiateFormat(accept);
      const gzip = acceptsGzip(acceptEncoding);
      if (format === 'openmetrics') {
        rendering.openMetrics ??= Buffer.from(toOpenMetrics(rendering.text));
        if (!gzip) return { body: rendering.openMetrics, contentType: OPENMETRICS_CONTENT_TYPE };
        rendering.gzippedOpenMetrics ??= gzipSync(rendering.openMetrics, GZIP_OPTIONS);
        return { body: rendering.gzippedOpenMetrics, contentType: OPENMETRICS_CONTENT_TYPE, contentEncoding: 'gzip' };
      }
      if (!gzip) return { body: rendering.bytes, contentType: PROMETHEUS_TEXT_CONTENT_TYPE };
      rendering.gzippedText ??= gzipSync(rendering.bytes, GZIP_OPTIONS);
      return { body: rendering.gzippedText, contentType: PROMETHEUS_TEXT_CONTENT_TYPE, contentEncoding: 'gzip' };
    },
    get generation() {
      return generation;
    },
  };
}

/** One value of a counter or gauge as prom-client keeps it (its `hashMap`). */
interface ValueEntry {
  readonly value: number;
  readonly labels: Record<string, string | number>;
}

/** One label set of a histogram as prom-client keeps it. */
interface HistogramEntry {
  readonly labels: Record<string, string | number>;
  readonly bucketValues: Record<string, number>;
  readonly sum: number;
  readonly count: number;
}

/** The prom-client internals the renderer reads: public fields of Counter, Gauge and Histogram in prom-client 15. */
interface MetricInternals {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly hashMap: Record<string, ValueEntry | HistogramEntry>;
  readonly upperBounds?: readonly number[];
  readonly collect?: () => void | Promise<void>;
}

/** What a metric family renders to that does not change from tick to tick. */
interface FamilyTemplate {
  readonly help: string;
  readonly type: string;
  readonly header: string;
  /** Label strings by prom-client's hash of the label set; rebuilt each render so removed series do not pile up. */
  labels: Map<string, string>;
}

/**
 * Renders the registry in the Prometheus text format, byte for byte what `registry.metrics()` renders, at a
 * fraction of the cost: each family's HELP/TYPE lines and each series' label string are built once and kept, and a
 * render only formats the numbers. prom-client stays the API collectors use; only the bytes are produced here.
 * Anything this renderer does not know (summaries, default labels, a prom-client whose internals differ) falls
 * back to `registry.metrics()` for the whole rendering, so the output never depends on which path ran.
 */
export function createTextRenderer(registry: Registry): () => Promise<string> {
  const templates = new WeakMap<MetricObject, FamilyTemplate>();
  const defaultLabels = (registry as unknown as { _defaultLabels?: Record<string, unknown> })._defaultLabels;

  const renderFamily = (metric: MetricInternals, template: FamilyTemplate): string => {
    let out = template.header;
    const previous = template.labels;
    const next = new Map<string, string>();
    for (const hash in metric.hashMap) {
      const entry = metric.hashMap[hash]!;
      let labels = previous.get(hash);
      if (labels === undefined) labels = formatLabelPairs(entry.labels);
      next.set(hash, labels);
      if (metric.type === 'histogram') {
        const h = entry as HistogramEntry;
        const shared = labels === '' ? '' : `,${labels}`;
        let acc = 0;
        for (const bound of metric.upperBounds!) {
          acc += h.bucketValues[bound]!;
          out += `\n${metric.name}_bucket{le="${bound}"${shared}} ${formatSampleValue(acc)}`;
        }
        const braces = labels === '' ? '' : `{${labels}}`;
        out += `\n${metric.name}_bucket{le="+Inf"${shared}} ${formatSampleValue(h.count)}`;
        out += `\n${metric.name}_sum${braces} ${formatSampleValue(h.sum)}`;
        out += `\n${metric.name}_count${braces} ${formatSampleValue(h.count)}`;
      } else {
        const v = entry as ValueEntry;
        out += labels === '' ? `\n${metric.name} ${formatSampleValue(v.value)}` : `\n${metric.name}{${labels}} ${formatSampleValue(v.value)}`;
      }
    }
    template.labels = next;
    return out;
  };

  return async () => {
    if (defaultLabels && Object.keys(defaultLabels).length > 0) return registry.metrics();
    const metrics = registry.getMetricsAsArray();
    if (!metrics.every(isKnownMetric)) return registry.metrics();
    const families: string[] = [];
    for (const metric of metrics) {
      const m = metric as unknown as MetricInternals;
      if (m.collect) {
        const pending = m.collect();
        if (pending instanceof Promise) await pending;
      }
      let template = templates.get(metric);
      if (template === undefined || template.help !== m.help || template.type !== m.type) {
        const name = escapeString(m.name);
        template = { help: m.help, type: m.type, header: `# HELP ${name} ${escapeString(m.help)}\n# TYPE ${name} ${m.type}`, labels: new Map() };
        templates.set(metric, template);
      }
      families.push(renderFamily(m, template));
    }
    return `${families.join('\n\n')}\n`;
  };
}

/** A counter, gauge or histogram whose internals look as this renderer expects. */
function isKnownMetric(metric: MetricObject): boolean {
  const m = metric as unknown as Partial<MetricInternals>;
  if (typeof m.name !== 'string' || typeof m.help !== 'string' || typeof m.hashMap !== 'object' || m.hashMap === null) return false;
  return m.type === 'counter' || m.type === 'gauge' || (m.type === 'histogram' && Array.isArray(m.upperBounds));
}

/** A sample value as prom-client writes it. */
function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'Nan';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return `${value}`;
}

function escapeString(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** `a="x",b="y"` in the label set's own order, values escaped as prom-client escapes them. */
function formatLabelPairs(labels: Record<string, string | number>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    parts.push(`${name}="${typeof value === 'string' ? escapeString(value).replace(/"/g, '\\"') : value}"`);
  }
  return parts.join(',');
}

interface MediaRange {
  readonly type: string;
  readonly q: number;
}

function parseQualityList(header: string): MediaRange[] {
  return header.split(',').flatMap((part) => {
    const [type, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!type) return [];
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=').map((s) => s.trim());
      if (key === 'q' && value !== undefined) q = Number(value);
    }
    return [{ type, q: Number.isFinite(q) ? q : 0 }];
  });
}

function bestQuality(ranges: readonly MediaRange[], matches: (type: string) => boolean): number {
  return ranges.reduce((best, range) => (matches(range.type) && range.q > best ? range.q : best), 0);
}

/**
 * Picks the exposition format an Accept header prefers: OpenMetrics when it is acceptable and ranked at least as
 * high as the Prometheus text format, which is the answer to everything else (no header, `*\/*`, unknown types).
 */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (!accept) return 'prometheus';
  const ranges = parseQualityList(accept);
  const openMetrics = bestQuality(ranges, (t) => t === 'application/openmetrics-text');
  if (openMetrics <= 0) return 'prometheus';
  const text = bestQuality(ranges, (t) => t === 'text/plain' || t === 'text/*' || t === '*/*');
  return openMetrics >= text ? 'openmetrics' : 'prometheus';
}

/** True when an Accept-Encoding header accepts gzip. */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (!acceptEncoding) return false;
  const ranges = parseQualityList(acceptEncoding);
  const explicit = ranges.find((r) => r.type === 'gzip');
  if (explicit) return explicit.q > 0;
  return bestQuality(ranges, (t) => t === '*') > 0;
}

/**
 * Turns the Prometheus text format (as prom-client renders it) into OpenMetrics 1.0: counter families are named
 * without their `_total` suffix (the samples keep it), blank lines go, and `# EOF` ends the body. Pure.
 *
 * prom-client can render OpenMetrics itself, but doing so renames its counters in place, which would then
 * corrupt the next Prometheus-format rendering of the same registry (docs/ARCHITECTURE.md, "Metric contract").
 */
export function toOpenMetrics(text: string): string {
  const lines = text.split('\n').filter((line) => line !== '');
  const counterFamilies = new Map<string, string>();
  for (const line of lines) {
    const match = /^# TYPE (\S+) counter$/.exec(line);
    if (match) counterFamilies.set(match[1]!, match[1]!.endsWith('_total') ? match[1]!.slice(0, -'_total'.length) : match[1]!);
  }
  const out: string[] = [];
  for (const line of lines) {
    const meta = /^# (HELP|TYPE) (\S+)( .*)?$/.exec(line);
    if (meta) {
      const family = counterFamilies.get(meta[2]!) ?? meta[2]!;
      const rest = meta[1] === 'HELP' ? (meta[3] ?? '').replace(/"/g, '\\"') : (meta[3] ?? '');
      out.push(`# ${meta[1]} ${family}${rest}`);
      continue;
    }
    const name = /^[^{ ]+/.exec(line)?.[0];
    const family = name === undefined ? undefined : counterFamilies.get(name);
    // A counter whose name lacks _total still needs it on its samples in OpenMetrics.
    out.push(family !== undefined && family === name ? `${name}_total${line.slice(name.length)}` : line);
  }
  return `${out.join('\n')}\n# EOF\n`;
}
