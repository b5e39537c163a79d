import { runCommandLine, type FlagSpecs, type FlagValues, type ProgramInfo } from './flags.js';
import { runHealthcheck } from '../http/healthcheck.js';
import { ListenError, runExporter, type ExporterParts } from './lifecycle.js';
import { createLogger, type Logger, type LogLevel } from '../metrics/log.js';

/** The flags runExporterMain reads itself; exporterFlags() provides them. */
type MainFlags = { port: number; host: string; 'log-level': LogLevel };

/** Options for runExporterMain. */
export interface ExporterMainOptions<S extends FlagSpecs> {
  readonly info: ProgramInfo;
  readonly flags: S;
  /** Builds the exporter from the parsed flags. */
  readonly create: (values: FlagValues<S>, logger: Logger) => ExporterParts;
}

/**
 * An exporter's whole main: parses the command line (help, version, exit 2 on a bad flag), answers
 * `--healthcheck`, logs its settings, runs the exporter until SIGTERM/SIGINT, and exits 1 with one line when it
 * cannot listen or anything else fails.
 */
export function runExporterMain<S extends FlagSpecs>(options: ExporterMainOptions<S>): void {
  const { program, version } = options.info;
  const main = async (): Promise<void> => {
    const { values, healthcheck } = runCommandLine(options.info, options.flags);
    const flags = values as FlagValues<S> & MainFlags;
    if (healthcheck) process.exit(await runHealthcheck({ host: flags.host, port: flags.port }));
    const logger = createLogger({ level: flags['log-level'] });
    logger.info(`starting ${program}`, { version, ...(values as Record<string, string | number>) });
    try {
      // The listening line is the readiness signal: written whatever --log-level says.
      const ready = createLogger({ level: 'info' });
      const announce = (url: string) => ready.info('listening', { address: url });
      await runExporter(options.create(values, logger), { host: flags.host, port: flags.port, logger, announce });
    } catch (error) {
      if (!(error instanceof ListenError)) throw error;
      logger.error(error.message);
      process.exit(1);
    }
  };
  main().catch((error: unknown) => {
    process.stderr.write(`${program}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
