// @proj/metrics-core/http: the exporter's Hono app, its server, the exporter wiring, and the healthcheck client.
export { createExporter, createExporterRegistry } from './exporter.js';
export type { Exporter, ExporterOptions, ExporterRegistryOptions } from './exporter.js';
export { runHealthcheck } from './healthcheck.js';
export type { HealthcheckTarget } from './healthcheck.js';
export { createExporterApp, createFastPath } from './routes.js';
export type { ExporterAppOptions, HealthReport } from './routes.js';
export { ListenError, startServer } from './server.js';
export type { FetchApp, RunningServer, StartServerOptions } from './server.js';
