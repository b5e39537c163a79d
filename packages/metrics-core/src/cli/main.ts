import { readFileSync } from 'node:fs';
import { loadWebConfig, WebConfigError, type LoadedWebConfig } from '@proj/web-config';
import { runCommandLine, type FlagSpecs, type FlagValues, type ProgramInfo } from './flags.js';
import { runHealthcheck } from '../http/healthcheck.js';
import { ListenError, runExporter, type ExporterParts } from './lifecycle.js';
import { createLogger, type Logger, type LogLevel } from '../metrics/log.js';

/** The flags runExporterMain reads itself; exporterFlags() provides them. */
type MainFlags = {
  port: number;
  host: string;
  'log-level': LogLevel;
  'web.config.file': string;
  'healthcheck.user': string;
  'healthcheck.client-cert-file': string;
  'healthcheck.client-key-file': string;
};

/** Options for runExporterMain. */
export interface ExporterMainOptions<S extends FlagSpecs> {
  readonly info: ProgramInfo;
  readonly flags: S;
  /** Builds the exporter from the parsed flags. */
  readonly create: (values: FlagValues<S>, logger: Logger) => ExporterParts;
}

/**
 * An exporter's whole main: parses the command line (help, version, exit 2 on a bad flag or a web configuration
 * that cannot be loaded), answers `--healthcheck`, logs its settings, runs the exporter until SIGTERM/SIGINT (SIGHUP
 * re-reads the web configuration, SIGUSR1 is logged and ignored), and exits 1 with one line when it cannot listen
 * or anything else fails.
 */
export function runExporterMain<S extends FlagSpecs>(options: ExporterMainOptions<S>): void {
  const { program, version } = options.info;
  let logger = createLogger({ level: 'info' });
  // Without a listener, SIGUSR1 makes Node open its inspector on 127.0.0.1:9229, and whoever can reach that port
  // runs code in this process (often root, to read energy_uj). A listener stops Node from doing so.
  process.on('SIGUSR1', () => logger.warn('SIGUSR1 ignored: the inspector stays closed'));
  const main = async (): Promise<void> => {
    const { values, healthcheck } = runCommandLine(options.info, options.flags);
    const flags = values as FlagValues<S> & MainFlags;
    const webConfig = await loadWebConfigOrExit(program, flags['web.config.file']);
    if (healthcheck) {
      const passwordEnv = (options.flags['healthcheck.user']?.env ?? 'HEALTHCHECK_USER').replace(/USER$/, 'PASSWORD');
      const user = flags['healthcheck.user'];
      const clientCertificate = readClientCertificate(program, flags['healthcheck.client-cert-file'], flags['healthcheck.client-key-file']);
      process.exit(
        await runHealthcheck({
          host: flags.host,
          port: flags.port,
          ...(webConfig?.tlsMaterial ? { pinnedCertificate: webConfig.tlsMaterial.cert } : {}),
          ...(clientCertificate === undefined ? {} : { clientCertificate }),
          ...(user === '' ? {} : { credentials: { user, password: process.env[passwordEnv] ?? '' } }),
        }),
      );
    }
    logger = createLogger({ level: flags['log-level'] });
    // Built before anything is logged: a check across flags made while building (exit 2) prints its one line alone.
    const parts = options.create(values, logger);
    logger.info(`starting ${program}`, { version, ...(values as Record<string, string | number>) });
    try {
      // The listening line is the readiness signal: written whatever --log-level says.
      const ready = createLogger({ level: 'info' });
      const announce = (url: string) => ready.info('listening', { address: url });
      await runExporter(parts, {
        host: flags.host,
        port: flags.port,
        logger,
        announce,
        ...(webConfig === undefined ? {} : { webConfig }),
      });
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

/** The healthcheck's client certificate and key, both or neither; one line and exit 2 when they cannot be read. */
function readClientCertificate(program: string, certFile: string, keyFile: string): { cert: Buffer; key: Buffer } | undefined {
  if (certFile === '' && keyFile === '') return undefined;
  if (certFile === '' || keyFile === '') {
    process.stderr.write(`${program}: --healthcheck.client-cert-file and --healthcheck.client-key-file go together\n`);
    return process.exit(2);
  }
  try {
    return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  } catch (error) {
    process.stderr.write(`${program}: --healthcheck.client-cert-file: ${(error as Error).message}\n`);
    return process.exit(2);
  }
}

/** The web configuration named by --web.config.file, or undefined; one line and exit 2 when it cannot be loaded. */
async function loadWebConfigOrExit(program: string, file: string): Promise<LoadedWebConfig | undefined> {
  if (file === '') return undefined;
  try {
    return await loadWebConfig(file);
  } catch (error) {
    if (!(error instanceof WebConfigError)) throw error;
    process.stderr.write(`${program}: --web.config.file: ${error.message}\n`);
    return process.exit(2);
  }
}
