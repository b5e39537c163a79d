// What gzipping a /metrics body costs the exporter, cold, as it happens: once per sample, about once a second, so
// zlib's set-up (memory it allocates and clears) weighs more than the compressing itself. The body is the built CPU
// exporter's own (a fixture powercap tree, this host's /proc), gzipped one at a time with a pause between, with
// zlib's defaults and with metrics-core's GZIP_OPTIONS, in alternating rounds so that load hits both alike.
// Run: node dist/gzip-probe.js --gzips 100 --rounds 4 --pause-ms 20   (prints one JSON line)
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gunzipSync, gzipSync, type ZlibOptions } from 'node:zlib';
import { materializePowercapTree } from '@proj/fixtures';
import { GZIP_OPTIONS } from '@proj/metrics-core/metrics';
import { buildPaths, sleep, startExporter } from '@proj/stack';
import { timedGet } from './http.js';

async function exporterBody(): Promise<string> {
  const tree = materializePowercapTree('xeon-2socket-dram');
  const work = mkdtempSync(join(tmpdir(), 'gzip-probe-'));
  try {
    const exporter = await startExporter({ name: 'gzip-probe-cpu-exporter', entry: buildPaths.cpuExporter, args: ['--sysfs-root', tree.root, '--interval', '1s'], logFile: join(work, 'exporter.log') });
    try {
      await sleep(2500); // two ticks: every family has its series
      return (await timedGet(`${exporter.url}/metrics`)).body;
    } finally {
      await exporter.stop();
    }
  } finally {
    tree.remove();
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { gzips: { type: 'string', default: '100' }, rounds: { type: 'string', default: '4' }, 'pause-ms': { type: 'string', default: '20' } } });
  const gzips = Number(values.gzips);
  const rounds = Number(values.rounds);
  const pauseMs = Number(values['pause-ms']);
  const body = await exporterBody();
  const ways: { name: string; options: ZlibOptions; cpuUs: number; bytes: number }[] = [
    { name: 'zlib defaults', options: {}, cpuUs: 0, bytes: 0 },
    { name: 'GZIP_OPTIONS', options: GZIP_OPTIONS, cpuUs: 0, bytes: 0 },
  ];
  for (const way of ways) {
    const gz = gzipSync(body, way.options);
    if (gunzipSync(gz).toString() !== body) throw new Error(`${way.name}: the body does not survive a round trip`);
    way.bytes = gz.length;
  }
  for (let r = 0; r < rounds; r++) {
    for (const way of ways) {
      for (let i = 0; i < gzips; i++) {
        await sleep(pauseMs); // cold, as once per sample
        const before = process.cpuUsage();
        gzipSync(body, way.options);
        const used = process.cpuUsage(before);
        way.cpuUs += used.user + used.system;
      }
    }
  }
  const result = {
    bodyBytes: Buffer.byteLength(body),
    gzips: gzips * rounds,
    pauseMs,
    loadAverage1m: loadavg()[0],
    ways: ways.map((w) => ({ name: w.name, options: w.options, gzippedBytes: w.bytes, cpuUsPerGzip: w.cpuUs / (gzips * rounds) })),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

void main().catch((error: unknown) => {
  process.stderr.write(`gzip-probe: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
