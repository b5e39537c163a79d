// The rules of infra/rules in the real tools: vmalert (datasource and remote write: VictoriaMetrics) and
// Prometheus (rule_files) load them beside a CPU exporter on a fixture tree. A recording rule evaluated by
// vmalert is read back from VictoriaMetrics, which only stores it; Prometheus records the same series itself.
// Restarting the exporter resets its energy counters: EnergyCounterReset (no `for`) reaches the notifier
// from vmalert, with the host in its description, and is firing in Prometheus.
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { materializePowercapTree, until, type MaterializedTree } from '@proj/fixtures';
import { createEnergyWriter, type EnergyWriter } from '../src/energy-writer.js';
import { startExporter, type RunningExporter } from '../src/exporter.js';
import { buildPaths } from '../src/paths.js';
import { freePort } from '../src/ports.js';
import { startPrometheus, type RunningPrometheus } from '../src/prometheus.js';
import { vectorOf } from '../src/prom-api.js';
import { writeStackConfig } from '../src/scrape-config.js';
import { startVictoriaMetrics, type RunningVictoriaMetrics } from '../src/victoriametrics.js';
import { ruleFiles, startVmalert, type RunningVmalert } from '../src/vmalert.js';

/** The built CPU exporter; STACK_CPU_EXPORTER_ENTRY runs another build (a checkout whose own build is mid-change). */
const CPU_EXPORTER = process.env.STACK_CPU_EXPORTER_ENTRY ?? buildPaths.cpuExporter;
/** Rule groups evaluate every 15 s: two rounds and the scrapes before them fit in this. */
const EVALUATION_WAIT_MS = 60_000;

type PostedAlert = { labels: Record<string, string>; annotations: Record<string, string> };

const work = mkdtempSync(join(tmpdir(), 'rules-integration-'));
let tree: MaterializedTree;
let writer: EnergyWriter;
let exporter: RunningExporter;
let vm: RunningVictoriaMetrics;
let prom: RunningPrometheus;
let vmalert: RunningVmalert;
let notifier: Server;
const posted: PostedAlert[] = [];

beforeAll(async () => {
  notifier = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/api/v2/alerts') posted.push(...(JSON.parse(body) as PostedAlert[]));
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => notifier.listen(0, '127.0.0.1', resolve));
  const notifierPort = (notifier.address() as { port: number }).port;

  tree = materializePowercapTree('xeon-2socket-dram');
  writer = createEnergyWriter({
    sysfsRoot: tree.root,
    zones: tree.tree.expect.zones.map((z) => ({ id: z.path, zone: z.zone, maxEnergyRangeUj: z.max_energy_range_uj })),
  });
  writer.start();
  exporter = await startExporter({ name: 'cpu-exporter', entry: CPU_EXPORTER, args: ['--sysfs-root', tree.root], logFile: join(work, 'cpu-exporter.log') });
  const config = writeStackConfig(join(work, 'config'), { 'cpu-exporter': [exporter.target] });
  // Prometheus reads rules/*.yml beside its config, as compose mounts infra/rules.
  for (const file of ruleFiles()) cpSync(file, join(config.dir, 'rules', file.slice(file.lastIndexOf('/') + 1)));
  [vm, prom] = await Promise.all([
    startVictoriaMetrics({ port: await freePort(), dataDir: join(work, 'vm'), scrapeConfig: config.vmScrapeConfig, logFile: join(work, 'vm.log'), extraFlags: ['-search.latencyOffset=0s'] }),
    startPrometheus({ port: await freePort(), dataDir: join(work, 'prom'), configFile: config.prometheusConfig, logFile: join(work, 'prometheus.log') }),
  ]);
  vmalert = await startVmalert({
    port: await freePort(),
    datasourceUrl: vm.url,
    remoteWriteUrl: vm.url,
    remoteReadUrl: vm.url,
    notifierUrl: `http://127.0.0.1:${notifierPort}`,
    logFile: join(work, 'vmalert.log'),
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([vmalert?.stop(), prom?.stop(), vm?.stop(), exporter?.stop()]);
  writer?.stop();
  tree?.remove();
  await new Promise<void>((resolve) => (notifier ? notifier.close(() => resolve()) : resolve()));
  rmSync(work, { recursive: true, force: true });
}, 30_000);

type RuleFile = { groups: Array<{ name: string; rules: unknown[] }> };
const groups = ruleFiles().flatMap((file) => (parse(readFileSync(file, 'utf8')) as RuleFile).groups);
const groupNames = groups.map((g) => g.name);
const ruleCount = groups.reduce((n, g) => n + g.rules.length, 0);

type RulesAnswer = { data: { groups: Array<{ name: string; rules: Array<{ name: string; health?: string; lastError?: string }> }> } };
const vmalertRules = async () => (await (await fetch(`${vmalert.url}/api/v1/rules`)).json()) as RulesAnswer;
const promRules = async () => (await (await fetch(`${prom.url}/api/v1/rules`)).json()) as RulesAnswer;
const ruleErrors = (answer: RulesAnswer) => answer.data.groups.flatMap((g) => g.rules).filter((r) => r.lastError || r.health === 'err').map((r) => `${r.name}: ${r.lastError}`);

describe('vmalert and Prometheus on infra/rules', () => {
  it('both load every rule group, and Prometheus every rule', async () => {
    const fromProm = await promRules();
    expect(fromProm.data.groups.map((g) => g.name).sort()).toEqual([...groupNames].sort());
    expect(fromProm.data.groups.flatMap((g) => g.rules).length).toBe(ruleCount);
    const vmGroups = await vmalertRules();
    expect(vmGroups.data.groups.map((g) => g.name).sort()).toEqual([...groupNames].sort());
    expect(vmGroups.data.groups.flatMap((g) => g.rules).length).toBe(ruleCount);
  });

  it('a recording rule evaluated by vmalert is written into VictoriaMetrics, the packages of the host summed', async () => {
    const recorded = async () => vectorOf(await vm.api.query('instance:rapl_package_power_watts:sum'));
    await until(async () => (await recorded()).length > 0, EVALUATION_WAIT_MS, 1_000);
    const [series] = await recorded();
    // As Prometheus records it: the grouping labels only (no `alertgroup`, vmalert.env turns that off).
    expect(series!.metric).toEqual({ __name__: 'instance:rapl_package_power_watts:sum', instance: exporter.target, job: 'cpu-exporter' });
    // The two sockets' package power, a few watts each on the writer's wave; never the dram zones on top.
    const packages = vectorOf(await vm.api.query('sum(rapl_power_watts{zone=~"package_.*"})'));
    const all = vectorOf(await vm.api.query('sum(rapl_power_watts)'));
    expect(Number(series!.value[1])).toBeGreaterThan(0);
    expect(Number(series!.value[1])).toBeLessThan(Number(all[0]!.value[1]));
    expect(Number(packages[0]!.value[1])).toBeGreaterThan(0);
    // VictoriaMetrics evaluates no rules itself: the series came from vmalert's remote write.
    const written = await (await fetch(`${vmalert.url}/metrics`)).text();
    expect(Number(/^vmalert_remotewrite_total (\d+)/m.exec(written)?.[1] ?? 0)).toBeGreaterThan(0);
  }, EVALUATION_WAIT_MS + 10_000);

  it('Prometheus records the same series from its own scrapes; neither reports a rule error', async () => {
    await until(async () => vectorOf(await prom.api.query('instance:rapl_package_power_watts:sum')).length > 0, EVALUATION_WAIT_MS, 1_000);
    const [series] = vectorOf(await prom.api.query('instance:rapl_package_power_watts:sum'));
    expect(series!.metric).toEqual({ __name__: 'instance:rapl_package_power_watts:sum', instance: exporter.target, job: 'cpu-exporter' });
    expect(ruleErrors(await promRules())).toEqual([]);
    expect(ruleErrors(await vmalertRules())).toEqual([]);
  }, EVALUATION_WAIT_MS + 10_000);

  it('an exporter restart (energy counters back to 0) fires EnergyCounterReset in vmalert, which notifies, and in Prometheus', async () => {
    // Let both stores hold a few rising samples first, then restart on the same port: the same series resets.
    await until(async () => Number(vectorOf(await prom.api.query('count_over_time(rapl_energy_joules_total{zone="package_0"}[1m])'))[0]?.value[1] ?? 0) >= 2, 30_000, 1_000);
    await exporter.stop();
    exporter = await startExporter({ name: 'cpu-exporter', entry: CPU_EXPORTER, port: exporter.port, args: ['--sysfs-root', tree.root], logFile: join(work, 'cpu-exporter-2.log') });
    const fired = () => posted.find((a) => a.labels.alertname === 'EnergyCounterReset');
    await until(() => fired() !== undefined, EVALUATION_WAIT_MS, 500);
    expect(fired()!.labels).toMatchObject({ alertname: 'EnergyCounterReset', severity: 'info', instance: exporter.target, job: 'cpu-exporter' });
    expect(fired()!.annotations.description).toBe(
      `cpu-exporter on ${exporter.target} restarted its energy counters 1 times in 10 minutes; increase() covers it, raw differences do not.`,
    );
    await until(async () => vectorOf(await prom.api.query('ALERTS{alertname="EnergyCounterReset",alertstate="firing"}')).length > 0, EVALUATION_WAIT_MS, 1_000);
  }, 2 * EVALUATION_WAIT_MS + 30_000);
});
