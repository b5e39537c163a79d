import { createServer, type Server } from 'node:http';
import { gzipSync } from 'node:zlib';
import { buildPaths } from './paths.js';
import { spawnService, type Service } from './process.js';
import { WaitTimeoutError } from './wait.js';

/** Many scrape targets served by one process: one captured /metrics body on `count` ports. */
export interface StaticTargets {
  /** `host:port` of each. */
  readonly targets: readonly string[];
  close(): Promise<void>;
}

/**
 * Serves `body` as /metrics on `count` ports of `host` (each chosen by the OS), gzipped once when the scraper
 * asks for it, as the exporters do: a stand-in for many exporters at the cost of one small process, for
 * load on scrapers (vmagent), not for testing exporters.
 */
export async function serveStaticTargets(options: { body: string; count: number; host?: string }): Promise<StaticTargets> {
  const host = options.host ?? '127.0.0.1';
  const plain = Buffer.from(options.body);
  const gzipped = gzipSync(plain);
  const servers: Server[] = [];
  const close = () => Promise.all(servers.map((server) => new Promise<void>((done) => server.close(() => done())))).then(() => undefined);
  try {
    for (let i = 0; i < options.count; i++) {
      const server = createServer((request, response) => {
        if (request.url !== '/metrics') {
          response.writeHead(404).end();
          return;
        }
        const gzip = /\bgzip\b/.test(request.headers['accept-encoding'] ?? '');
        response.writeHead(200, {
          'content-type': 'text/plain; version=0.0.4; charset=utf-8',
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
        });
        response.end(gzip ? gzipped : plain);
      });
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, host, () => resolve());
      });
    }
  } catch (error) {
    await close();
    throw error;
  }
  const targets = servers.map((server) => {
    const address = server.address();
    if (typeof address !== 'object' || !address) throw new Error('static target without an address');
    return `${host}:${address.port}`;
  });
  return { targets, close };
}

/** The line the static-targets process prints once every port listens. Pure. */
export function formatTargetsLine(targets: readonly string[]): string {
  return `msg=listening targets=${targets.join(',')}`;
}

/** The targets of a `msg=listening targets=...` line, or undefined. Pure. */
export function parseTargetsLine(line: string): string[] | undefined {
  const match = /\bmsg=listening targets=(\S+)/.exec(line);
  return match ? match[1]!.split(',') : undefined;
}

/** Static targets in their own process (dist/static-targets-cli.js), so their CPU is not the caller's. */
export interface RunningStaticTargets {
  readonly targets: readonly string[];
  readonly service: Service;
  stop(): Promise<void>;
}

/** Starts the static-targets process serving `bodyFile` on `count` ports and waits for its listening line. */
export async function startStaticTargets(options: { bodyFile: string; count: number; logFile: string; readyTimeoutMs?: number }): Promise<RunningStaticTargets> {
  let announce: (targets: string[]) => void = () => {};
  const announced = new Promise<string[]>((resolve) => (announce = resolve));
  const service = await spawnService({
    name: 'static-targets',
    command: process.execPath,
    args: [buildPaths.staticTargets, '--body', options.bodyFile, '--count', String(options.count)],
    logFile: options.logFile,
    onLine(line) {
      const targets = parseTargetsLine(line);
      if (targets) announce(targets);
    },
  });
  const timeoutMs = options.readyTimeoutMs ?? 15_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    const targets = await Promise.race([
      announced,
      service.exited.then((exit) => {
        throw new WaitTimeoutError(buildPaths.staticTargets, `static-targets exited (code ${exit.code}) before listening:\n${service.logTail()}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new WaitTimeoutError(buildPaths.staticTargets, `static-targets did not listen within ${timeoutMs} ms:\n${service.logTail()}`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    return { targets, service, stop: async () => void (await service.stop()) };
  } catch (error) {
    await service.stop();
    throw error;
  }
}
