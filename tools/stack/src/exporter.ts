import { spawnService, type Service } from './process.js';
import { waitForUrl, WaitTimeoutError } from './wait.js';

/** The `http://HOST:PORT` of an exporter's logfmt `msg=listening address=...` line, or undefined. Pure. */
export function parseListeningAddress(line: string): string | undefined {
  if (!/\bmsg=listening\b/.test(line)) return undefined;
  return /\baddress="?(http:\/\/[^\s"]+)"?/.exec(line)?.[1];
}

/** Options for startExporter. */
export interface StartExporterOptions {
  /** `cpu-exporter`, `gpu-exporter`. */
  readonly name: string;
  /** The built entry, run with this Node: apps/<x>/dist/main.js. */
  readonly entry: string;
  /** Flags besides --port and --host, e.g. `--sysfs-root DIR --interval 1s`. */
  readonly args?: readonly string[];
  /** Node's own flags, before the entry (`--cpu-prof`, which NODE_OPTIONS does not take). */
  readonly nodeArgs?: readonly string[];
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** 0 (the default) lets it pick a free port and tell which in its log. */
  readonly port?: number;
  readonly host?: string;
  readonly logFile: string;
  readonly readyTimeoutMs?: number;
}

/** A running exporter. */
export interface RunningExporter {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** `127.0.0.1:PORT`, as a scrape target. */
  readonly target: string;
  readonly service: Service;
  stop(): Promise<void>;
}

/**
 * Starts an exporter (`node <entry> --port P --host H ...args`), learns its address from its `listening` log
 * line, and waits until /health answers 200.
 */
export async function startExporter(options: StartExporterOptions): Promise<RunningExporter> {
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.readyTimeoutMs ?? 15_000;
  let announce: (url: string) => void = () => {};
  const announced = new Promise<string>((resolve) => (announce = resolve));
  const service = await spawnService({
    name: options.name,
    command: process.execPath,
    args: [...(options.nodeArgs ?? []), options.entry, '--port', String(options.port ?? 0), '--host', host, ...(options.args ?? [])],
    env: { ...process.env, ...options.env },
    logFile: options.logFile,
    onLine(line) {
      const address = parseListeningAddress(line);
      if (address) announce(address);
    },
  });
  try {
    let timer: NodeJS.Timeout | undefined;
    const died = service.exited.then((exit) => {
      throw new WaitTimeoutError(options.entry, `${options.name} exited (code ${exit.code}, signal ${exit.signal}) before listening:\n${service.logTail()}`);
    });
    died.catch(() => {}); // only the race below cares; a later exit is the caller's to watch
    const address = await Promise.race([
      announced,
      died,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new WaitTimeoutError(options.entry, `${options.name} did not log a listening address within ${timeoutMs} ms:\n${service.logTail()}`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    const url = new URL(address);
    const port = Number(url.port);
    // It may listen on 0.0.0.0; reach it over loopback.
    const local = `http://127.0.0.1:${port}`;
    await waitForUrl(`${local}/health`, { service, timeoutMs });
    return { url: local, port, target: `127.0.0.1:${port}`, service, stop: async () => void (await service.stop()) };
  } catch (error) {
    await service.stop();
    throw error;
  }
}
