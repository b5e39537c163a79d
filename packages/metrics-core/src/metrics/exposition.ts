import { gzipSync } from 'node:zlib';
import type { Registry } from 'prom-client';

export const PROMETHEUS_TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** An exposition format a scraper can ask for. */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

/** A ready-to-send /metrics body. */
export interface ExpositionBody {
  readonly body: string | Uint8Array;
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
  openMetrics?: string;
  gzippedText?: Uint8Array;
  gzippedOpenMetrics?: Uint8Array;
}

/**
 * Creates an Exposition over `registry`. The text is rendered once per `render()`; the OpenMetrics variant and
 * the gzipped bodies are made on the first request that wants them and kept until the next render, so each
 * costs at most once per sample however many scrapers ask.
 */
export function createExposition(registry: Registry): Exposition {
  let current: Rendering | undefined;
  let generation = 0;
  return {
    async render() {
      current = { text: await registry.metrics() };
      generation++;
    },
    respond(accept, acceptEncoding) {
      const rendering = current;
      if (!rendering) return undefined;
      const format = negotiateFormat(accept);
      const gzip = acceptsGzip(acceptEncoding);
      if (format === 'openmetrics') {
        rendering.openMetrics ??= toOpenMetrics(rendering.text);
        if (!gzip) return { body: rendering.openMetrics, contentType: OPENMETRICS_CONTENT_TYPE };
        rendering.gzippedOpenMetrics ??= gzipSync(rendering.openMetrics);
        return { body: rendering.gzippedOpenMetrics, contentType: OPENMETRICS_CONTENT_TYPE, contentEncoding: 'gzip' };
      }
      if (!gzip) return { body: rendering.text, contentType: PROMETHEUS_TEXT_CONTENT_TYPE };
      rendering.gzippedText ??= gzipSync(rendering.text);
      return { body: rendering.gzippedText, contentType: PROMETHEUS_TEXT_CONTENT_TYPE, contentEncoding: 'gzip' };
    },
    get generation() {
      return generation;
    },
  };
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
