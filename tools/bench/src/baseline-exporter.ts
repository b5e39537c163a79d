// The "slow scripted exporter" the lab is replacing, as a yardstick: every scrape spawns
// `nvidia-smi --query-gpu=... --format=csv,noheader,nounits`, waits for it, and formats the same gauges.
// Run: node dist/baseline-exporter.js --port 0 --host 127.0.0.1 --nvidia-smi PATH [--timeout-ms 5000]
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { runOnce } from '@proj/subprocess';
import { BASELINE_FIELDS, formatBaselineMetrics } from './baseline.js';

async function queryOnce(nvidiaSmi: string, timeoutMs: number): Promise<{ ok: true; csv: string } | { ok: false; why: string }> {
  const fields = ['index', 'name', 'uuid', ...BASELINE_FIELDS.map(([field]) => field)].join(',');
  const result = await runOnce(nvidiaSmi, [`--query-gpu=${fields}`, '--format=csv,noheader,nounits'], { timeoutMs });
  if (result.kind === 'spawn_failed') return { ok: false, why: result.message };
  if (result.kind !== 'exited') return { ok: false, why: `nvidia-smi ${result.kind.replace('_', ' ')} after ${timeoutMs} ms` };
  return result.code === 0 ? { ok: true, csv: result.stdout } : { ok: false, why: `nvidia-smi ended with ${result.signal ?? `code ${result.code}`}` };
}

function main(): void {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'nvidia-smi': { type: 'string', default: 'nvidia-smi' },
      'timeout-ms': { type: 'string', default: '5000' },
    },
  });
  const nvidiaSmi = values['nvidia-smi']!;
  const timeoutMs = Number(values['timeout-ms']);
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}\n');
      return;
    }
    if (req.url !== '/metrics') {
      res.writeHead(404).end('not found\n');
      return;
    }
    void queryOnce(nvidiaSmi, timeoutMs).then((result) => {
      if (result.ok) res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(formatBaselineMetrics(result.csv));
      else res.writeHead(503, { 'Content-Type': 'text/plain' }).end(`${result.why}\n`);
    });
  });
  server.listen(Number(values.port), values.host, () => {
    const { port } = server.address() as AddressInfo;
    process.stderr.write(`ts=${new Date().toISOString()} level=info msg=listening address=http://${values.host}:${port}\n`);
  });
  // The process module kills the nvidia-smi groups still in flight when this process exits.
  const stop = () => process.exit(0);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main();
