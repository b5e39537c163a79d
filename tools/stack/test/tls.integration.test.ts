// The real VictoriaMetrics and Prometheus scrape the built CPU exporter over TLS with a client certificate and
// basic auth (its --web.config.file: exporter-toolkit's alice/alice123, RequireAndVerifyClientCert), with the
// scrape settings infra/compose documents (scheme https, tls_config, basic_auth). Certificates are made here with
// openssl. A second job with a wrong password shows the exporter really refuses: that target is down in both.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertWorkshop, launchNodeServer, materializePowercapTree, until, type CertWorkshop, type MaterializedTree, type SpawnedServer } from '@proj/fixtures';
import { buildPaths } from '../src/paths.js';
import { freePort } from '../src/ports.js';
import { vectorOf, type PromApi } from '../src/prom-api.js';
import { startPrometheus, type RunningPrometheus } from '../src/prometheus.js';
import { startVictoriaMetrics, type RunningVictoriaMetrics } from '../src/victoriametrics.js';

/** The built CPU exporter; STACK_CPU_EXPORTER_ENTRY runs another build. */
const CPU_EXPORTER = process.env.STACK_CPU_EXPORTER_ENTRY ?? buildPaths.cpuExporter;
const ALICE_HASH = '$2y$12$1DpfPeqF9HzHJt.EWswy1exHluGfbhnn3yXhR7Xes6m3WJqFg0Wby';

const work = mkdtempSync(join(tmpdir(), 'tls-integration-'));
let certs: CertWorkshop;
let tree: MaterializedTree;
let exporter: SpawnedServer;
let vm: RunningVictoriaMetrics;
let prom: RunningPrometheus;

/** A Prometheus scrape configuration both stores read: one job with the right credentials, one with a wrong password. */
function scrapeConfig(target: string, tls: { ca: string; cert: string; key: string }): string {
  const job = (name: string, password: string) => `  - job_name: ${name}
    scheme: https
    tls_config:
      ca_file: ${tls.ca}
      cert_file: ${tls.cert}
      key_file: ${tls.key}
    basic_auth:
      username: alice
      password: ${password}
    static_configs:
      - targets: ['${target}']
`;
  return `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
${job('cpu-exporter-tls', 'alice123')}${job('cpu-exporter-wrong-password', 'alice124')}`;
}

beforeAll(async () => {
  certs = createCertWorkshop();
  const ca = certs.ca('ca');
  const server = certs.leaf('exporter', { ca, cn: 'cpu-exporter', sans: ['DNS:localhost', 'IP:127.0.0.1'], usage: 'serverAuth' });
  const clientCa = certs.ca('scraper-ca');
  const client = certs.leaf('scraper', { ca: clientCa, cn: 'scraper', sans: ['DNS:scraper'], usage: 'clientAuth' });
  const webConfig = join(certs.dir, 'web.yml');
  writeFileSync(
    webConfig,
    `tls_server_config:
  cert_file: ${server.certFile}
  key_file: ${server.keyFile}
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ${clientCa.certFile}
basic_auth_users:
  alice: ${ALICE_HASH}
`,
  );
  tree = materializePowercapTree('xeon-2socket-dram');
  exporter = await launchNodeServer(CPU_EXPORTER, ['--port', '0', '--host', '127.0.0.1', '--sysfs-root', tree.root, '--web.config.file', webConfig]);
  expect(exporter.url).toMatch(/^https:/);
  const scrape = join(work, 'scrape.yml');
  writeFileSync(scrape, scrapeConfig(new URL(exporter.url).host, { ca: ca.certFile, cert: client.certFile, key: client.keyFile }));
  [vm, prom] = await Promise.all([
    freePort().then((port) =>
      startVictoriaMetrics({ port, dataDir: join(work, 'vm-data'), scrapeConfig: scrape, logFile: join(work, 'vm.log'), extraFlags: ['-search.latencyOffset=0s'] }),
    ),
    freePort().then((port) => startPrometheus({ port, dataDir: join(work, 'prom-data'), configFile: scrape, logFile: join(work, 'prometheus.log') })),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all([vm?.stop(), prom?.stop()]);
  await exporter?.stop();
  tree?.remove();
  certs?.remove();
  rmSync(work, { recursive: true, force: true });
}, 30_000);

const value = async (api: PromApi, expr: string): Promise<number | undefined> => {
  const [first] = vectorOf(await api.query(expr));
  return first === undefined ? undefined : Number(first.value[1]);
};

describe.each([
  ['VictoriaMetrics', () => vm.api],
  ['Prometheus', () => prom.api],
])('%s scraping the exporter over TLS with a client certificate and basic auth', (_name, api) => {
  it('stores its series, and marks the job with a wrong password down', async () => {
    await until(async () => (await value(api(), 'up{job="cpu-exporter-tls"}')) === 1 && (await value(api(), 'up{job="cpu-exporter-wrong-password"}')) === 0, 60_000, 500);
    await until(async () => (await value(api(), 'count(rapl_energy_joules_total{job="cpu-exporter-tls"})')) !== undefined, 60_000, 500);
    expect(await value(api(), 'count(rapl_energy_joules_total{job="cpu-exporter-tls"})')).toBeGreaterThan(0);
    expect(await value(api(), 'count(rapl_energy_joules_total{job="cpu-exporter-wrong-password"})')).toBeUndefined();
  }, 90_000);
});
