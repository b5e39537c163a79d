// The floor of this machine: a bare Node HTTP server, started and scraped the same way as the exporters, so an
// exporter's figures can be read against what any Node server costs here. By default it answers a fixed small body.
// With --body-file and --tick-ms it does the least a Node exporter does: wakes every tick to change one number of
// the body (an exporter's own /metrics body, from the file), and answers /metrics with it, gzipped at most once per
// tick when asked (with metrics-core's gzip settings): no reads, no rendering, no metrics library.
// Run: node dist/floor-server.js --port 0 --host 127.0.0.1 [--body-file F --tick-ms 1000]
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'body-file': { type: 'string' },
    'tick-ms': { type: 'string', default: '0' },
  },
});
const contentType = 'text/plain; version=0.0.4; charset=utf-8';
const fixed = values['body-file'] === undefined ? '# a fixed body\nfloor 1\n' : readFileSync(values['body-file'], 'utf8');
let body = fixed;
let gzipped: Buffer | undefined;
const tickMs = Number(values['tick-ms']);
if (tickMs > 0) {
  let ticks = 0;
  const tick = () => {
    ticks++;
    body = `${fixed}floor_ticks_total ${ticks}\n`;
    gzipped = undefined;
  };
  tick();
  setInterval(tick, tickMs);
}
// metrics-core's GZIP_OPTIONS, written out: this server loads nothing of the exporters.
const GZIP = { level: 1, memLevel: 4, windowBits: 13 };
const server = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}\n');
    return;
  }
  if (values['body-file'] !== undefined && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
    gzipped ??= gzipSync(body, GZIP);
    res.writeHead(200, { 'Content-Type': contentType, 'Content-Encoding': 'gzip' }).end(gzipped);
    return;
  }
  res.writeHead(200, { 'Content-Type': contentType }).end(body);
});
server.listen(Number(values.port), values.host, () => {
  const { port } = server.address() as AddressInfo;
  process.stderr.write(`msg=listening address=http://${values.host}:${port}\n`);
});
process.once('SIGTERM', () => process.exit(0));
