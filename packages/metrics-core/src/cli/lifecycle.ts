import type { Server as TlsServer } from 'node:tls';
import { createHttpsServerOptions, createWebConfigReloader, webConfigMiddleware, type LoadedWebConfig, type WebConfigReloader } from '@proj/web-config';
import { Hono } from 'hono';
import { ListenError, startServer, type FetchApp, type RunningServer, type StartServerOptions } from '../http/server.js';
import type { Logger } from '../metrics/log.js';
import type { Sampler } from '../metrics/sampler.js';

/** What runExporter starts and stops: an Exporter from createExporter fits. */
export interface ExporterParts {
  readonly app: FetchApp;
  /** Answers GET /metrics and /health without the app's Fetch API (an Exporter's `fastPath`); unused behind a web configuration. */
  readonly fastPath?: StartServerOptions['fastPath'];
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
  /** A graceful stop that has not finished after this long ends the process by SIGKILL and says so. Default 900 ms. */
  readonly stopDeadlineMs?: number;
  /** How the process ends; process.exit by default. */
  readonly exit?: (code: number) => void;
  /**
   * How the process ends when the graceful stop overran its deadline: SIGKILL to itself by default. Not
   * process.exit: Node joins its threads on the way out, and a thread stuck in a kernel read (a hung driver, a stopped
   * FUSE daemon) never returns, so process.exit would hang with it.
   */
  readonly kill?: () => void;
  /**
   * A web configuration (loadWebConfig): TLS when it has `tls_server_config`, its rate limit, headers and basic
   * auth before every route. It is re-read when its files change and on SIGHUP; a reload that fails keeps the one in
   * force and logs why.
   */
  readonly webConfig?: LoadedWebConfig;
  /** How often to look at the web configuration's files for a change. Default 5000; 0: only on SIGHUP. */
  readonly webConfigPollIntervalMs?: number;
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
 * Listens, then starts the exporter and announces once its first sample is taken: the port opens at once whatever
 * the sources do, and the announcement means a scrape finds a sampled exporter. SIGTERM and SIGINT are handled from
 * the start, before anything is spawned or announced: they stop what has started and exit 0; a stop that does not
 * finish within `stopDeadlineMs` (a sample stuck in a kernel read, a close that hangs) says so in a line and ends the
 * process by SIGKILL, so a hung stop never passes for a clean one and never keeps the process alive. A failed
 * listen (before anything was started) stops and throws ListenError.
 */
export async function runExporter(parts: ExporterParts, options: RunExporterOptions): Promise<ServingExporter> {
  const { logger } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const kill = options.kill ?? (() => process.kill(process.pid, 'SIGKILL'));
  const deadlineMs = options.stopDeadlineMs ?? 900;
  let server: RunningServer | undefined;
  let stopping: Promise<void> | undefined;
  let reloader: WebConfigReloader | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      reloader?.close();
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
      logger.error('graceful stop did not finish in time: ending by SIGKILL', { deadline_ms: deadlineMs });
      kill();
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
  if (options.webConfig) {
    reloader = createWebConfigReloader(options.webConfig, {
      pollIntervalMs: options.webConfigPollIntervalMs ?? 5000,
      onReload: (loaded) => logger.info('web configuration reloaded', { file: loaded.path, tls: loaded.config.tls !== null }),
      onError: (error) => logger.warn('web configuration not reloaded: keeping the one in force', { error: error.message }),
    });
  }
  // Node's default for SIGHUP ends the process; here it re-reads the web configuration, as exporters do.
  const onHangup = (): void => {
    if (reloader) void reloader.reload();
    else logger.info('SIGHUP: no --web.config.file to re-read');
  };
  if (options.handleSignals ?? true) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    process.on('SIGHUP', onHangup);
  }

  const guarded = reloader === undefined ? undefined : guardApp(parts.app, reloader);
  const tls = options.webConfig?.config.tls ? createHttpsServerOptions(options.webConfig) : undefined;
  try {
    server = await startServer(guarded ?? parts.app, {
      host: options.host,
      port: options.port,
      // Behind a web configuration every request goes through its guard, so none takes the fast path.
      ...(guarded === undefined && parts.fastPath !== undefined ? { fastPath: parts.fastPath } : {}),
      // Certificate swaps on reload, and the client certificate checks OpenSSL's options cannot express.
      ...(tls === undefined ? {} : { https: tls, beforeListen: (created) => void reloader!.attach(created as TlsServer) }),
    });
  } catch (error) {
    await stop();
    throw error;
  }
  // Listening comes first, whatever the sources do at start (nvidia-smi may take seconds to answer, or hang): until the
  // first sample /metrics serves what the registry holds and /health says `starting`. The announcement still waits
  // for the first sample, so whoever waits for it finds a sampled exporter.
  // A signal during the start: the stop is under way and will exit; going on would only race it.
  if (stopping) await new Promise<never>(() => {});
  try {
    await (parts.start ?? (() => parts.sampler.start()))();
  } catch (error) {
    await stop();
    throw error;
  }
  if (stopping) await new Promise<never>(() => {});
  (options.announce ?? ((url: string) => logger.info('listening', { address: url })))(server.url);
  return { url: server.url, port: server.port, server, stop };
}

/** `app` behind the web configuration in force: rate limit, headers and basic auth, then the routes. */
function guardApp(app: FetchApp, reloader: WebConfigReloader): FetchApp {
  const guarded = new Hono();
  guarded.use('*', webConfigMiddleware(() => reloader.current().config));
  guarded.all('*', (c) => app.fetch(c.req.raw, c.env as never));
  return guarded;
}

export { ListenError };
