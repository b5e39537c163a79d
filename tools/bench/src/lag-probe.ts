// Issue 12's lag question, measured: does a sampler tick wait behind HTTP work, and would a sampler in a worker thread
// escape it? One process serves a /metrics-sized body from node:http on its main thread (as the exporters' fast path
// does: cached bytes, no work per request) while metrics-core's sampler ticks either on that same main thread or in
// a worker thread, and wrk loads the server (or nothing does: --connections 0). Reports the ticks' lag, the process's
// RSS (VmRSS at the end, VmHWM) and the answers per second, so the lag a worker saves is weighed against what it costs.
// Run: node dist/lag-probe.js --where main|worker --interval-ms 100 --duration-s 30 --connections 50   (one JSON line)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createRegistry, createSampler } from '@proj/metrics-core';
import { readMemory } from './proc.js';
import { summarize, type Summary } from './stats.js';
import { runWrk } from './wrk.js';

/** What one probe run reports. */
export interface LagProbeResult {
  readonly where: 'main' | 'worker';
  readonly connections: number;
  readonly ticks: number;
  readonly lagMs: Summary;
  readonly rssBytes: number;
  readonly peakRssBytes: number;
  readonly okPerSecond: number | null;
  readonly loadAverage1m: number;
}

/** Ticks the sampler for `durationMs` and resolves with each tick's lag, milliseconds. */
async function tick(intervalMs: number, durationMs: number): Promise<number[]> {
  const lags: number[] = [];
  const sampler = createSampler({
    intervalMs,
    registry: createRegistry(),
    prefix: 'lag_probe',
    // The distance from the deadline, early or late, as the sampler's lag histogram records it.
    sample: (t) => void lags.push(Math.abs(t.startedAtMs - t.scheduledAtMs)),
  });
  await sampler.start();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  await sampler.stop();
  return lags;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      where: { type: 'string', default: 'main' },
      'interval-ms': { type: 'string', default: '100' },
      'duration-s': { type: 'string', default: '30' },
      connections: { type: 'string', default: '50' },
    },
  });
  const where = values.where;
  if (where !== 'main' && where !== 'worker') throw new Error(`--where main|worker, not ${where}`);
  const intervalMs = Number(values['interval-ms']);
  const durationSeconds = Number(values['duration-s']);
  const connections = Number(values.connections);

  // About the size of the CPU exporter's exposition, answered from memory as its fast path answers /metrics.
  const body = Buffer.from(Array.from({ length: 120 }, (_, i) => `probe_series{index="${i}"} ${i * 1.5}\n`).join(''));
  const server = createServer((_, res) => res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;

  const lagsPromise =
    where === 'main'
      ? tick(intervalMs, durationSeconds * 1000)
      : new Promise<number[]>((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), { workerData: { intervalMs, durationMs: durationSeconds * 1000 } });
          worker.once('message', resolve);
          worker.once('error', reject);
        });
  const wrk = connections > 0 ? await runWrk({ url, connections, durationSeconds: Math.max(1, durationSeconds - 1) }) : undefined;
  const lags = await lagsPromise;
  const memory = readMemory(process.pid);
  server.close();
  const result: LagProbeResult = {
    where,
    connections,
    ticks: lags.length,
    lagMs: summarize(lags),
    rssBytes: memory.rssBytes,
    peakRssBytes: memory.hwmBytes,
    okPerSecond: wrk?.okPerSecond ?? null,
    loadAverage1m: loadavg()[0]!,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

if (isMainThread) {
  void main().catch((error: unknown) => {
    process.stderr.write(`lag-probe: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
} else {
  const { intervalMs, durationMs } = workerData as { intervalMs: number; durationMs: number };
  void tick(intervalMs, durationMs).then((lags) => parentPort!.postMessage(lags));
}
