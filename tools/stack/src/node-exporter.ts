import { findBinary } from './binaries.js';
import { startHttpService, type Service } from './process.js';

/** Options for startNodeExporter. */
export interface StartNodeExporterOptions {
  readonly port: number;
  readonly host?: string;
  /** What `--path.sysfs` names: the same root the CPU exporter reads. */
  readonly sysfsRoot: string;
  readonly logFile: string;
  readonly binary?: string;
  readonly readyTimeoutMs?: number;
}

/** A running node_exporter. */
export interface RunningNodeExporter {
  readonly url: string;
  readonly service: Service;
  stop(): Promise<void>;
}

/**
 * Starts node_exporter with only its RAPL collector (node_rapl_<zone>_joules_total{index,path}), the
 * reference the CPU exporter's energy is compared with, and waits for /metrics.
 */
export async function startNodeExporter(options: StartNodeExporterOptions): Promise<RunningNodeExporter> {
  const host = options.host ?? '127.0.0.1';
  return startHttpService({
    name: 'node-exporter',
    command: options.binary ?? findBinary('nodeExporter'),
    args: [
      `--web.listen-address=${host}:${options.port}`,
      '--collector.disable-defaults',
      '--collector.rapl',
      `--path.sysfs=${options.sysfsRoot}`,
    ],
    logFile: options.logFile,
    url: `http://${host}:${options.port}`,
    readyPath: '/metrics',
    readyTimeoutMs: options.readyTimeoutMs ?? 15_000,
  });
}
