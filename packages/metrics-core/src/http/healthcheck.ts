import { X509Certificate } from 'node:crypto';
import { request, type IncomingMessage, type RequestOptions } from 'node:http';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** Where a running exporter listens, and how to get past its web configuration. */
export interface HealthcheckTarget {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs?: number;
  /**
   * The exporter serves TLS with this certificate (PEM, leaf first: the `cert_file` of its web configuration). The
   * healthcheck connects over TLS and accepts the server only when it presents exactly this certificate: it asks its
   * own exporter on loopback, whose certificate names a host name, not 127.0.0.1, and may come from a private CA.
   */
  readonly pinnedCertificate?: Buffer;
  /** A client certificate and its key (PEM), for an exporter that requires one. */
  readonly clientCertificate?: { readonly cert: Buffer; readonly key: Buffer };
  /** Basic authentication, sent only once the server is known (plain HTTP, or TLS with the pinned certificate). */
  readonly credentials?: { readonly user: string; readonly password: string };
}

/**
 * Asks the exporter at host:port for /health (a wildcard host is asked on loopback) and returns the exit status
 * for a container healthcheck: 0 for 200 (ok or degraded), 1 for anything else, with one line saying why.
 * Lets minimal images run `cpu_exporter --healthcheck` instead of shipping curl.
 */
export async function runHealthcheck(target: HealthcheckTarget, write: (line: string) => void = (l) => process.stdout.write(l)): Promise<number> {
  const host = target.host === '0.0.0.0' ? '127.0.0.1' : target.host === '::' ? '::1' : target.host;
  const url = `${target.pinnedCertificate === undefined ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${target.port}/health`;
  try {
    const res = await get(host, target);
    const body = res.body.slice(0, 500);
    const hint = res.status === 401 && target.credentials === undefined ? ' (the exporter asks for basic auth: give --healthcheck.user and its password)' : '';
    write(`${url}: ${res.status} ${body}${hint}\n`);
    return res.status === 200 ? 0 : 1;
  } catch (error) {
    const why = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    write(`${url}: ${why}\n`);
    return 1;
  }
}

function get(host: string, target: HealthcheckTarget): Promise<{ status: number; body: string }> {
  const timeoutMs = target.timeoutMs ?? 3000;
  const pinned = target.pinnedCertificate === undefined ? undefined : new X509Certificate(target.pinnedCertificate).raw;
  const headers: Record<string, string> = { connection: 'close' };
  if (target.credentials) headers.authorization = `Basic ${Buffer.from(`${target.credentials.user}:${target.credentials.password}`).toString('base64')}`;
  return new Promise((resolve, reject) => {
    const req = request({
      host,
      port: target.port,
      path: '/health',
      headers,
      ...(pinned === undefined
        ? {}
        : {
            // The request (and its credentials) goes out only after the server showed the pinned certificate.
            createConnection: (_options: unknown, done: (error: Error | null, socket?: Socket) => void) => {
              const socket = tlsConnect({
                host,
                port: target.port,
                rejectUnauthorized: false,
                ALPNProtocols: ['http/1.1'],
                ...(target.clientCertificate === undefined ? {} : { cert: target.clientCertificate.cert, key: target.clientCertificate.key }),
              });
              socket.once('error', (error) => done(error));
              socket.once('secureConnect', () => {
                const presented = socket.getPeerCertificate().raw as Buffer | undefined;
                if (presented === undefined || !presented.equals(pinned)) {
                  socket.destroy();
                  done(new Error('the server did not present the certificate of --web.config.file'));
                  return;
                }
                done(null, socket);
              });
              return undefined;
            },
          }),
    } as unknown as RequestOptions);
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.once('response', (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 4096) body += chunk;
      });
      res.once('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.once('error', reject);
    });
    req.end();
  });
}
