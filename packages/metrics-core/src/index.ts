export { acceptsGzip, createExposition, negotiateFormat, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_TEXT_CONTENT_TYPE, toOpenMetrics } from './exposition.js';
export type { Exposition, ExpositionBody, ExpositionFormat } from './exposition.js';
export { createExporter } from './exporter.js';
export type { Collector, Exporter, ExporterOptions } from './exporter.js';
export {
  choiceParser,
  durationParser,
  exporterFlags,
  FlagError,
  FlagValueError,
  formatDuration,
  formatHelp,
  parseFlags,
  parseNonEmpty,
  parsePort,
  runCommandLine,
} from './flags.js';
export type { CommandLine, CommandLineIo, ExporterFlagsOptions, FlagSpec, FlagSpecs, FlagValues, ParsedCommandLine, ProgramInfo } from './flags.js';
export { runHealthcheck } from './healthcheck.js';
export type { HealthcheckTarget } from './healthcheck.js';
export { createExporterApp } from './http.js';
export type { ExporterAppOptions, HealthReport } from './http.js';
export { runExporter } from './lifecycle.js';
export type { ExporterParts, RunExporterOptions, RunningExporter } from './lifecycle.js';
export { createLogger, LOG_LEVELS, silentLogger } from './log.js';
export { runExporterMain } from './main.js';
export type { ExporterMainOptions } from './main.js';
export type { LogFields, Logger, LoggerOptions, LogLevel } from './log.js';
export { registerProcessMetrics } from './process-metrics.js';
export { createRegistry, registerInfoMetric, runtimeLabel } from './registry.js';
export type { InfoLabels } from './registry.js';
export { createSampler, SAMPLER_LAG_BUCKETS } from './sampler.js';
export type { Sampler, SamplerOptions, SamplerStatus, SamplerTick, ScheduleFn } from './sampler.js';
export { ListenError, startServer } from './server.js';
export type { FetchApp, RunningServer, StartServerOptions } from './server.js';
