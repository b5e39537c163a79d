import { mkdirSync } from 'node:fs';
import { findBinary } from './binaries.js';
import { createPromApi, type PromApi } from './prom-api.js';
import { startHttpService, type Service } from './process.js';

/** Options for startPrometheus. */
export interface StartPrometheusOptions {
  readonly port: number;
  readonly host?: string;
  readonly dataDir: string;
  readonly configFile: string;
  readonly logFile: string;
  /** As in Docker Compose: Prometheus is kept for comparison, not for history. */
  readonly retention?: string;
  readonly extraFlags?: readonly string[];
  readonly binary?: string;
  readonly readyTimeoutMs?: number;
}

/** A running Prometheus. */
export interface RunningPrometheus {
  readonly url: string;
  readonly api: PromApi;
  readonly service: Service;
  stop(): Promise<void>;
}

/** Starts Prometheus with `configFile` and waits for /-/ready. */
export async function startPrometheus(options: StartPrometheusOptions): Promise<RunningPrometheus> {
  const host = options.host ?? '127.0.0.1';
  mkdirSync(options.dataDir, { recursive: true });
  const running = await startHttpService({
    name: 'prometheus',
    command: options.binary ?? findBinary('prometheus'),
    args: [
      `--config.file=${options.configFile}`,
      `--storage.tsdb.path=${options.dataDir}`,
      `--storage.tsdb.retention.time=${options.retention ?? '7d'}`,
      `--web.listen-address=${host}:${options.port}`,
      ...(options.extraFlags ?? []),
    ],
    logFile: options.logFile,
    url: `http://${host}:${options.port}`,
    readyPath: '/-/ready',
    readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
  });
  return { ...running, api: createPromApi(running.url) };
}
