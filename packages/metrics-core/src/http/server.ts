import type { AddressInfo } from 'node:net';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';

/** Anything with a fetch handler: a Hono app. */
export interface FetchApp {
  fetch: (request: Request, ...rest: never[]) => Response | Promise<Response>;
}

/** Options for startServer. */
export interface StartServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Idle keep-alive connections close after this; above the slowest scrape interval so scrapers reuse them. */
  readonly keepAliveTimeoutMs?: number;
  /** A client has this long to send its request headers (slow clients must not hold sockets forever). */
  readonly headersTimeoutMs?: number;
  /** And this long for the whole request. */
  readonly requestTimeoutMs?: number;
  /** Serve HTTPS with these options (certificate, key, client certificate policy: createHttpsServerOptions). */
  readonly https?: HttpsServerOptions;
  /** Called with the server before it listens (to attach a web configuration reloader before any connection). */
  readonly beforeListen?: (server: Server | HttpsServer) => void;
  /**
   * Answers the requests it can straight from node:http (GET /metrics, GET /health) and returns true; false lets
   * the app answer. @hono/node-server loads undici's Fetch API (several MB of resident memory) when it is imported,
   * so it is imported only for the first request the fast path leaves to the app (docs/BENCHMARKS.md, Idle RSS).
   */
  readonly fastPath?: (request: IncomingMessage, response: ServerResponse) => boolean;
}

/** A listening server. */
export interface RunningServer {
  /** An https.Server (a tls.Server too) when `https` was given. */
  readonly server: Server | HttpsServer;
  /** The port bound (useful with port 0). */
  readonly port: number;
  /** `http://host:port`, or `https://` when serving TLS. */
  readonly url: string;
  /** Stops accepting, closes idle connections at once and the rest after `graceMs`; resolves when closed. */
  close(graceMs?: number): Promise<void>;
}

/** The listen failed: address in use, not available, no permission. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
  readonly code: string;
  readonly address: string;

  constructor(address: string, code: string, cause: unknown) {
    super(`cannot listen on ${address}: ${describeListenCode(code)}`, { cause });
    this.code = code;
    this.address = address;
  }
}

function describeListenCode(code: string): string {
  switch (code) {
    case 'EADDRINUSE':
      return 'address already in use';
    case 'EADDRNOTAVAIL':
      return 'address not available on this host';
    case 'EACCES':
      return 'permission denied';
    case 'ENOTFOUND':
      return 'host name not found';
    default:
      return code;
  }
}

/**
 * Serves `app` over HTTP/1.1 (HTTPS when `https` is given) with timeouts fit for an exporter facing scrapers and the
 * odd stuck client.
 */
export function startServer(app: FetchApp, options: StartServerOptions): Promise<RunningServer> {
  const serverOptions = {
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    headersTimeout: options.headersTimeoutMs ?? 10_000,
    requestTimeout: options.requestTimeoutMs ?? 15_000,
    // How often Node checks the two timeouts above; its default (30 s) lets idle sockets pile up.
    connectionsCheckingInterval: 2_000,
  };
  let appListener: ((request: IncomingMessage, response: ServerResponse) => unknown) | undefined;
  let loading: Promise<void> | undefined;
  const handle = (request: IncomingMessage, response: ServerResponse): void => {
    if (options.fastPath?.(request, response)) return;
    if (appListener) return void appListener(request, response);
    loading ??= import('@hono/node-server').then(({ getRequestListener }) => {
      // An HTTP/1.0 request may come without a Host header; plain Node serves it, so must we (the routes ignore the host).
      appListener = getRequestListener(app.fetch as never, { hostname: 'localhost' });
    });
    loading.then(
      () => void appListener!(request, response),
      () => response.writeHead(500).end(),
    );
  };
  const server: Server | HttpsServer =
    options.https === undefined ? createHttpServer(serverOptions, handle) : createHttpsServer({ ...options.https, ...serverOptions }, handle);
  server.maxHeadersCount = 64;
  options.beforeListen?.(server);
  const address = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(new ListenError(address, error.code ?? 'UNKNOWN', error));
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      const port = (server.address() as AddressInfo).port;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({
        server,
        port,
        url: `${options.https === undefined ? 'http' : 'https'}://${host}:${port}`,
        close(graceMs = 500) {
          return new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
            setTimeout(() => server.closeAllConnections(), graceMs).unref();
          });
        },
      });
    });
  });
}
