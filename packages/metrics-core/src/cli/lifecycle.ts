import type { Logger } from './log.js';
import type { Sampler } from './sampler.js';
import { ListenError, startServer, type FetchApp, type RunningServer } from './server.js';

/** What runExporter starts and stops. */
export interface ExporterParts {
  readonly app: FetchApp;
  readonly sampler: Sampler;
  /** Starts sampling (and whatever feeds it); `sampler.start()` by default. */
  readonly start?: () => Promise<void>;
  /** Releases the exporter's own resources (child processes, ...) after the sampler stops. */
  readonly close?: () => Promise<void> | void;
}

/** Where and how to run. */
export interface RunExporterOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /** Exit 0 on SIGTERM/SIGINT after a graceful stop (the exporter may be PID 1 in a container). Default true. */
  readonly handleSignals?: boolean;
}

/** A running exporter. */
export interface RunningExporter {
  readonly url: string;
  readonly port: number;
  readonly server: RunningServer;
  /** Stops sampling, releases resources and closes the server. */
  stop(): Promise<void>;
}

/**
 * Takes the first sample, then listens: a scrape never finds an empty exporter. On SIGTERM or SIGINT it stops
 * and exits 0 within a second. A failed listen stops the sampler and throws ListenError.
 */
export async function runExporter(parts: ExporterParts, options: RunExporterOptions): Promise<RunningExporter> {
  const { logger } = options;
  await (parts.start ?? (() => parts.sampler.start()))();
  let server: RunningServer;
  try {
    server = await startServer(parts.app, { host: options.host, port: options.port });
  } catch (error) {
    await parts.sampler.stop();
    await parts.close?.();
    throw error;
  }
  logger.info('listening', { address: server.url });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await parts.sampler.stop();
      await parts.close?.();
      await server.close(400);
    })());

  if (options.handleSignals ?? true) {
    const onSignal = (signal: NodeJS.Signals): void => {
      logger.info('stopping', { signal });
      // Whatever happens, be gone within a second.
      setTimeout(() => process.exit(0), 900).unref();
      void stop().then(() => process.exit(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { url: server.url, port: server.port, server, stop };
}

export { ListenError };
