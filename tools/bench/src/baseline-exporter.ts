// The "slow scripted exporter" the lab is replacing, as a yardstick: every scrape spawns
// `nvidia-smi --query-gpu=... --format=csv,noheader,nounits`, waits for it, and formats the same gauges.
// Run: node dist/baseline-exporter.js --port 0 --host 127.0.0.1 --nvidia-smi PATH [--timeout-ms 5000]
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { BASELINE_FIELDS, formatBaselineMetrics } from './baseline.js';

// nvidia-smi children in flight, killed (each its whole group) when the exporter stops.
const inFlight = new Set<number>();

const killGroup = (pid: number) => {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // gone
  }
};

function queryOnce(nvidiaSmi: string, timeoutMs: number): Promise<{ ok: true; csv: string } | { ok: false; why: string }> {
  return new Promise((resolve) => {
    const fields = ['index', 'name', 'uuid', ...BASELINE_FIELDS.map(([field]) => field)].join(',');
    const child = spawn(nvidiaSmi, [`--query-gpu=${fields}`, '--format=csv,noheader,nounits'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    if (child.pid !== undefined) inFlight.add(child.pid);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const timer = setTimeout(() => killGroup(child.pid!), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, why: error.message });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      inFlight.delete(child.pid!);
      resolve(code === 0 ? { ok: true, csv: out } : { ok: false, why: `nvidia-smi ended with ${signal ?? `code ${code}`}` });
    });
  });
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
  const stop = () => {
    for (const pid of inFlight) killGroup(pid);
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main();
