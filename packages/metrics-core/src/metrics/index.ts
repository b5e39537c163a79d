// @proj/metrics-core/metrics: registry, sampler, exposition, collectors and logging; no Hono, no HTTP.
export { combineHealth, sampleCollectors } from './collector.js';
export type { Collector, HealthReport } from './collector.js';
export { acceptsGzip, createExposition, GZIP_OPTIONS, createTextRenderer, negotiateFormat, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_TEXT_CONTENT_TYPE, toOpenMetrics } from './exposition.js';
export type { Exposition, ExpositionBody, ExpositionFormat } from './exposition.js';
export { createLogger, LOG_LEVELS, silentLogger } from './log.js';
export type { LogFields, Logger, LoggerOptions, LogLevel } from './log.js';
export { registerProcessMetrics } from './process-metrics.js';
export { createRegistry, registerInfoMetric, runtimeLabel } from './registry.js';
export type { InfoLabels } from './registry.js';
export { createSampler, SAMPLER_LAG_BUCKETS } from './sampler.js';
export type { Sampler, SamplerOptions, SamplerStatus, SamplerTick, ScheduleFn } from './sampler.js';
