import type { IncomingMessage, ServerResponse } from 'node:http';
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
    const answer = metricsAnswer(options, c.req.header('accept'), c.req.header('accept-encoding'));
    if (typeof answer.body === 'string') return c.body(answer.body, answer.status as 200, answer.headers);
    return c.body(answer.body as Uint8Array<ArrayBuffer>, answer.status as 200, answer.headers);
  });

  app.get('/health', (c) => {
    const answer = healthAnswer(options);
    return c.json(answer.payload, answer.status as 200, { 'Cache-Control': 'no-store' });
  });

  app.get('/', (c) => c.html(landingPage(options)));

  for (const path of ROUTES) {
    app.all(path, (c) => c.text('method not allowed\n', 405, { Allow: 'GET, HEAD' }));
  }
  app.notFound((c) => c.text('not found\n', 404));
  return app;
}

/** What GET /metrics answers, for the Hono route and the fast path alike. */
function metricsAnswer(options: ExporterAppOptions, accept: string | undefined, acceptEncoding: string | undefined) {
  const body = options.exposition.respond(accept, acceptEncoding);
  if (!body) return { status: 503, body: 'no sample taken yet\n', headers: { 'Content-Type': 'text/plain; charset=UTF-8' } as Record<string, string> };
  const headers: Record<string, string> = { 'Content-Type': body.contentType, Vary: 'Accept, Accept-Encoding' };
  if (body.contentEncoding) headers['Content-Encoding'] = body.contentEncoding;
  return { status: 200, body: body.body, headers };
}

/** What GET /health answers, for the Hono route and the fast path alike. */
function healthAnswer(options: ExporterAppOptions) {
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
  return { status: sampler.stalled ? 503 : 200, payload };
}

/**
 * GET /metrics and GET /health answered straight from node:http, the same bytes and headers as the app's routes,
 * without the Fetch API (startServer's `fastPath`). Anything else (other methods, paths, a query string) returns
 * false and goes to the app.
 */
export function createFastPath(options: ExporterAppOptions): (request: IncomingMessage, response: ServerResponse) => boolean {
  return (request, response) => {
    if (request.method !== 'GET') return false;
    if (request.url === '/metrics') {
      const answer = metricsAnswer(options, request.headers.accept, request.headers['accept-encoding']);
      const length = typeof answer.body === 'string' ? Buffer.byteLength(answer.body) : answer.body.byteLength;
      response.writeHead(answer.status, { ...answer.headers, 'Content-Length': String(length) }).end(answer.body);
      return true;
    }
    if (request.url === '/health') {
      const answer = healthAnswer(options);
      const body = JSON.stringify(answer.payload);
      response
        .writeHead(answer.status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', 'Content-Length': String(Buffer.byteLength(body)) })
        .end(body);
      return true;
    }
    return false;
  };
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
