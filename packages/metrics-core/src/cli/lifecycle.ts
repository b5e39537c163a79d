import { ListenError, startServer, type FetchApp, type RunningServer } from '../http/server.js';
import type { Logger } from '../metrics/log.js';
import type { Sampler } from '../metrics/sampler.js';

/** What runExporter starts and stops: an Exporter from createExporter fits. */
export interface ExporterParts {
  readonly app: FetchApp;
  readonly sampler: Sampler;
  /** Starts sampling (and whatever feeds it); `sampler.start()` by default. */
  readonly start?: () => Promise<void>;
  /** Releases the exporter's own resources (child processes, ...); `sampler.stop()` by default. */
  readonly close?: () => Promise<void> | void;
}

/** Where and how to run. */
export interface RunExporterOptions {
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /**
   * Says the exporter is ready, once it listens. Default: the logger's info-level `listening` line. runExporterMain
   * writes that line whatever --log-level says, because tests, the stack and operators wait for it.
   */
  readonly announce?: (url: string) => void;
  /** Exit 0 on SIGTERM/SIGINT after a graceful stop (the exporter may be PID 1 in a container). Default true. */
  readonly handleSignals?: boolean;
  /** A graceful stop that has not finished after this long exits 1 and says so. Default 900 ms. */
  readonly stopDeadlineMs?: number;
  /** How the process ends; process.exit by default. */
  readonly exit?: (code: number) => void;
}

/** A running exporter. */
export interface ServingExporter {
  readonly url: string;
  readonly port: number;
  readonly server: RunningServer;
  /** Stops sampling, releases resources and closes the server. */
  stop(): Promise<void>;
}

/**
 * Takes the first sample, then listens: a scrape never finds an empty exporter. SIGTERM and SIGINT are handled from
 * the start, before anything is spawned or announced: they stop what has started and exit 0; a stop that does not
 * finish within `stopDeadlineMs` exits 1 with a line saying so, so a hung stop never passes for a clean one. A failed
 * listen stops what started and throws ListenError.
 */
export async function runExporter(parts: ExporterParts, options: RunExporterOptions): Promise<ServingExporter> {
  const { logger } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const deadlineMs = options.stopDeadlineMs ?? 900;
  let server: RunningServer | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (parts.close) await parts.close();
      else await parts.sampler.stop();
      await server?.close(400);
    })());

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    logger.info('stopping', { signal });
    const timer = setTimeout(() => {
      logger.error('graceful stop did not finish in time: exiting 1', { deadline_ms: deadlineMs });
      exit(1);
    }, deadlineMs);
    timer.unref();
    void stop().then(
      () => {
        clearTimeout(timer);
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        logger.error('graceful stop failed: exiting 1', { error: error instanceof Error ? error.message : String(error) });
        exit(1);
      },
    );
  };
  if (options.handleSignals ?? true) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  await (parts.start ?? (() => parts.sampler.start()))();
  // A signal during the start: the stop is under way and will exit; listening now would only race it.
  if (stopping) await new Promise<never>(() => {});
  try {
    server = await startServer(parts.app, { host: options.host, port: options.port });
  } catch (error) {
    await stop();
    throw error;
  }
  if (stopping) await new Promise<never>(() => {});
  (options.announce ?? ((url: string) => logger.info('listening', { address: url })))(server.url);
  return { url: server.url, port: server.port, server, stop };
}

export { ListenError };
