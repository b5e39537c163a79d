import { Hono } from 'hono';
import type { HealthReport } from '../metrics/collector.js';
import type { Exposition } from '../metrics/exposition.js';
import type { SamplerStatus } from '../metrics/sampler.js';

export type { HealthReport };

/** What createExporterApp serves. */
export interface ExporterAppOptions {
  /** e.g. `CPU exporter`. */
  readonly title: string;
  readonly version: string;
  /** One line for the landing page. */
  readonly description: string;
  readonly exposition: Exposition;
  readonly health: () => HealthReport;
  readonly samplerStatus: () => SamplerStatus;
}

const ROUTES = ['/', '/metrics', '/health'] as const;

/**
 * The routes every exporter serves: `GET /metrics` (the latest rendering, Prometheus text or OpenMetrics by
 * Accept, gzipped by Accept-Encoding), `GET /health` (200 starting/ok/degraded with JSON, 503 only when the
 * sampler has stalled), `GET /` (a landing page). Other methods on these paths get 405, other paths 404.
 */
export function createExporterApp(options: ExporterAppOptions): Hono {
  const app = new Hono();

  app.get('/metrics', (c) => {
    const body = options.exposition.respond(c.req.header('accept'), c.req.header('accept-encoding'));
    if (!body) return c.text('no sample taken yet\n', 503);
    const headers: Record<string, string> = { 'Content-Type': body.contentType, Vary: 'Accept, Accept-Encoding' };
    if (body.contentEncoding) headers['Content-Encoding'] = body.contentEncoding;
    return c.body(typeof body.body === 'string' ? body.body : (body.body as Uint8Array<ArrayBuffer>), 200, headers);
  });

  app.get('/health', (c) => {
    const sampler = options.samplerStatus();
    const report = options.health();
    // Before the first sample the collectors' reports describe nothing yet: say so rather than ok or degraded.
    const starting = !sampler.stalled && sampler.lastTickDoneAtMs === undefined;
    const payload = {
      status: sampler.stalled ? 'stalled' : starting ? 'starting' : report.status,
      reasons: sampler.stalled ? [`sampler stalled: no sample finished in the last ${sampler.stallAfterMs / 1000} s`, ...report.reasons] : report.reasons,
      version: options.version,
      sampler: {
        interval_seconds: sampler.intervalMs / 1000,
        ticks: sampler.ticks,
        missed_ticks: sampler.missedTicks,
        failed_samples: sampler.failedSamples,
      },
      ...report.details,
    };
    return c.json(payload, sampler.stalled ? 503 : 200, { 'Cache-Control': 'no-store' });
  });

  app.get('/', (c) => c.html(landingPage(options)));

  for (const path of ROUTES) {
    app.all(path, (c) => c.text('method not allowed\n', 405, { Allow: 'GET, HEAD' }));
  }
  app.notFound((c) => c.text('not found\n', 404));
  return app;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function landingPage(options: ExporterAppOptions): string {
  const title = escapeHtml(options.title);
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title}</title></head>
<body>
<h1>${title}</h1>
<p>${escapeHtml(options.description)}</p>
<p>Version ${escapeHtml(options.version)}</p>
<ul>
<li><a href="/metrics">/metrics</a>: the latest sample, Prometheus text or OpenMetrics</li>
<li><a href="/health">/health</a>: status as JSON</li>
</ul>
</body>
</html>
`;
}
