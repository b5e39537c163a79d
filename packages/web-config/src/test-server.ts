// Test support (not exported): a real HTTPS server made the way an exporter will make one (@hono/node-server with
// https.createServer and this package's options), and a client that reports what it saw.
import { X509Certificate } from 'node:crypto';
import { request, createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import type { LoadedWebConfig } from './load.js';
import { webConfigMiddleware } from './middleware.js';
import { createWebConfigReloader, type WebConfigReloader, type WebConfigReloaderOptions } from './reloader.js';
import { createHttpsServerOptions } from './tls.js';

/** A listening HTTPS exporter stand-in serving `GET /metrics`. */
export interface TestServer {
  readonly port: number;
  readonly server: Server;
  readonly reloader: WebConfigReloader;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 with a free port, kept current by a reloader (polling off unless asked). */
export async function startTestServer(loaded: LoadedWebConfig, options: WebConfigReloaderOptions = {}): Promise<TestServer> {
  const reloader = createWebConfigReloader(loaded, { pollIntervalMs: 0, ...options });
  const app = new Hono();
  app.use('*', webConfigMiddleware(() => reloader.current().config));
  app.get('/metrics', (c) => c.text('up 1\n'));
  const server = createAdaptorServer({ fetch: app.fetch, createServer, serverOptions: createHttpsServerOptions(loaded) }) as Server;
  reloader.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    server,
    reloader,
    close() {
      reloader.close();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** What one request saw. */
export interface Seen {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
  /** SHA-256 fingerprint of the server certificate presented. */
  readonly fingerprint256: string;
  readonly protocol: string | null;
  readonly cipher: string;
}

/** Options of one client request. */
export interface GetOptions {
  readonly ca: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  readonly ciphers?: string;
  readonly authorization?: string;
}

/** GET /metrics on a fresh connection (no agent, no session reuse); rejects when the handshake or the connection fails. */
export function get(port: number, options: GetOptions): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/metrics',
        agent: false,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        maxVersion: options.maxVersion,
        ciphers: options.ciphers,
        headers: options.authorization === undefined ? {} : { authorization: options.authorization },
      },
      (res) => {
        const socket = res.socket as TLSSocket;
        const fingerprint256 = socket.getPeerCertificate().fingerprint256;
        const protocol = socket.getProtocol();
        const cipher = socket.getCipher().name;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers, fingerprint256, protocol, cipher }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The SHA-256 fingerprint of a PEM certificate, as a TLS peer reports it. */
export function fingerprintOf(pem: Buffer): string {
  return new X509Certificate(pem).fingerprint256;
}
