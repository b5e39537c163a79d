import { mkdirSync } from 'node:fs';
import { findBinary } from './binaries.js';
import { infraPaths } from './paths.js';
import { createPromApi, type PromApi } from './prom-api.js';
import { envWithFlags, startHttpService, type Service } from './process.js';
import { readVictoriaMetricsFlagsEnv } from './scrape-config.js';

/** Options for startVictoriaMetrics. */
export interface StartVictoriaMetricsOptions {
  readonly port: number;
  readonly host?: string;
  readonly dataDir: string;
  readonly scrapeConfig: string;
  readonly logFile: string;
  /** The shared flags file (VM_* variables); infra/victoriametrics/victoria-metrics.env by default. */
  readonly flagsEnvFile?: string;
  /** More flags, which win over the env file: tests pass `-search.latencyOffset=0s`. */
  readonly extraFlags?: readonly string[];
  readonly binary?: string;
  readonly readyTimeoutMs?: number;
}

/** A running VictoriaMetrics. */
export interface RunningVictoriaMetrics {
  readonly url: string;
  /** Its Prometheus-compatible API, bypassing the response cache (`nocache=1`). */
  readonly api: PromApi;
  readonly service: Service;
  stop(): Promise<void>;
}

/**
 * Starts single-node VictoriaMetrics scraping `scrapeConfig`, with the flags Docker Compose gives it (through
 * `-envflag.enable -envflag.prefix=VM_` and the same env file), and waits for /health.
 */
export async function startVictoriaMetrics(options: StartVictoriaMetricsOptions): Promise<RunningVictoriaMetrics> {
  const host = options.host ?? '127.0.0.1';
  mkdirSync(options.dataDir, { recursive: true });
  const running = await startHttpService({
    name: 'victoria-metrics',
    command: options.binary ?? findBinary('victoriaMetrics'),
    args: [
      '-envflag.enable',
      '-envflag.prefix=VM_',
      `-httpListenAddr=${host}:${options.port}`,
      `-storageDataPath=${options.dataDir}`,
      `-promscrape.config=${options.scrapeConfig}`,
      ...(options.extraFlags ?? []),
    ],
    env: envWithFlags('VM_', readVictoriaMetricsFlagsEnv(options.flagsEnvFile ?? infraPaths.vmFlagsEnv)),
    logFile: options.logFile,
    url: `http://${host}:${options.port}`,
    readyPath: '/health',
    readyTimeoutMs: options.readyTimeoutMs ?? 30_000,
  });
  return { ...running, api: createPromApi(running.url, { extraParams: { nocache: '1' } }) };
}
