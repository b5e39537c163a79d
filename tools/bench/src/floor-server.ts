// The latency floor of this machine: a bare Node HTTP server answering a fixed body, scraped the same way as the
// exporters, so an exporter's figures can be read against what any Node server costs here.
// Run: node dist/floor-server.js --port 0 --host 127.0.0.1
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } } });
const body = '# a fixed body\nfloor 1\n';
const server = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(req.url === '/health' ? '{"status":"ok"}\n' : body);
});
server.listen(Number(values.port), values.host, () => {
  const { port } = server.address() as AddressInfo;
  process.stderr.write(`msg=listening address=http://${values.host}:${port}\n`);
});
process.once('SIGTERM', () => process.exit(0));
