// @proj/metrics-core/cli: flags (node:util parseArgs, environment, validation), the run loop and an exporter's main.
export {
  choiceParser,
  DEFAULT_ATTRIBUTE_PROCESSES,
  durationParser,
  exporterFlags,
  FlagError,
  FlagValueError,
  formatDuration,
  formatHelp,
  parseFlags,
  parseDirectory,
  parseNonEmpty,
  parseOptionalRegex,
  parsePort,
  runCommandLine,
} from './flags.js';
export type { CommandLine, CommandLineIo, ExporterFlagsOptions, FlagSpec, FlagSpecs, FlagValues, ParsedCommandLine, ProgramInfo } from './flags.js';
export { runExporter } from './lifecycle.js';
export type { ExporterParts, RunExporterOptions, ServingExporter } from './lifecycle.js';
export { runExporterMain } from './main.js';
export type { ExporterMainOptions } from './main.js';
