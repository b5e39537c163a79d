// Static checks of infra/: every config passes its own checker, the compose file, the scrape configs and
// the target files agree with each other, and the dashboards only name provisioned datasources and never
// add RAPL zones that overlap.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findBinary, which } from '../src/binaries.js';
import { builtinVariables, isStacked, loadDashboards, panelsOf, queriesOf, substituteVariables } from '../src/dashboards.js';
import { infraPaths } from '../src/paths.js';
import { readVictoriaMetricsFlagsEnv, SCRAPE_JOBS, writeStackConfig } from '../src/scrape-config.js';
import { checkStackedExpressions, checkZoneArithmetic, fixtureLayouts } from '../src/zone-check.js';

/** The checkers are separate programs; on a busy 2-core CI machine docker-compose v1 alone takes seconds to start. */
const CHECKER_TIMEOUT_MS = 120_000;

const work = mkdtempSync(join(tmpdir(), 'stack-config-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Compose = {
  services: Record<string, { image?: string; command?: string[]; volumes?: string[]; ports?: string[]; profiles?: string[]; env_file?: string; healthcheck?: { test: string[] }; privileged?: boolean; deploy?: unknown; build?: { context: string; dockerfile: string }; user?: string; pid?: string }>;
  volumes?: Record<string, unknown>;
};
const compose = parse(readFileSync(infraPaths.composeFile, 'utf8')) as Compose;
const composeDir = resolve(infraPaths.composeFile, '..');

type ScrapeConfig = { global: { scrape_interval: string; scrape_timeout: string }; scrape_configs: Array<{ job_name: string; file_sd_configs?: Array<{ files: string[] }>; static_configs?: unknown }> };
const vmConfig = parse(readFileSync(infraPaths.vmScrapeConfig, 'utf8')) as ScrapeConfig;
const promConfig = parse(readFileSync(infraPaths.prometheusConfig, 'utf8')) as ScrapeConfig;

/** The directory layout compose gives a store: its config and the compose target files mounted beside it. */
function composeLayout(name: string, configFile: string, mountedAs: string): string {
  const dir = join(work, name);
  cpSync(configFile, join(dir, mountedAs));
  cpSync(infraPaths.composeTargetsDir, join(dir, 'targets'), { recursive: true });
  return join(dir, mountedAs);
}

function run(command: string, args: string[]) {
  return spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
}

describe('docker compose file', () => {
  it('passes `docker-compose config -q` with every profile', () => {
    const bin = which('docker-compose') ?? which('docker');
    expect(bin, 'docker-compose is not installed: run tools/setup.sh').toBeDefined();
    const args = bin!.endsWith('docker') ? ['compose'] : [];
    for (const profiles of [[], ['--profile', 'nvidia', '--profile', 'compare']]) {
      const result = run(bin!, [...args, '-f', infraPaths.composeFile, ...profiles, 'config', '-q']);
      expect(result.status, result.stderr).toBe(0);
    }
  }, CHECKER_TIMEOUT_MS);

  it('pins every image and mounts only files that exist', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.image) expect(service.image, name).toMatch(/:(v?\d+\.\d+\.\d+|local)$/);
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('.')) expect(existsSync(resolve(composeDir, source)), `${name}: ${source}`).toBe(true);
      }
      if (service.env_file) expect(existsSync(resolve(composeDir, service.env_file)), service.env_file).toBe(true);
    }
  });

  it('runs the stores on the scrape configs the local stack runs, with the targets mounted beside them', () => {
    const vm = compose.services.victoriametrics!;
    expect(vm.command).toContain('-promscrape.config=/etc/victoriametrics/scrape.yml');
    expect(vm.volumes).toEqual(expect.arrayContaining(['../victoriametrics/scrape.yml:/etc/victoriametrics/scrape.yml:ro', './targets:/etc/victoriametrics/targets:ro']));
    expect(vm.command).toEqual(expect.arrayContaining(['-envflag.enable', '-envflag.prefix=VM_', '-httpListenAddr=:8428']));
    expect(resolve(composeDir, vm.env_file!)).toBe(infraPaths.vmFlagsEnv);
    expect(readVictoriaMetricsFlagsEnv().VM_retentionPeriod).toBe('30d');
    const prom = compose.services.prometheus!;
    expect(prom.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(prom.volumes).toEqual(expect.arrayContaining(['../prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro', './targets:/etc/prometheus/targets:ro']));
  });

  it('names in each compose target file the service and port compose runs', () => {
    const ports: Record<string, string> = { 'cpu-exporter': '9510', 'gpu-exporter': '9511', 'node-exporter': '9100' };
    for (const job of SCRAPE_JOBS) {
      const groups = JSON.parse(readFileSync(join(infraPaths.composeTargetsDir, `${job}.json`), 'utf8')) as Array<{ targets: string[] }>;
      expect(groups.flatMap((g) => g.targets)).toEqual([`${job}:${ports[job]}`]);
      expect(compose.services[job], `service ${job}`).toBeDefined();
      expect(JSON.stringify(compose.services[job]!.command)).toContain(ports[job]);
    }
  });

  it('keeps the exporters unprivileged, the GPU one and node_exporter behind their profiles, the GPU reserved', () => {
    const cpu = compose.services['cpu-exporter']!;
    expect(cpu.privileged).toBeUndefined();
    expect(cpu.build).toEqual({ context: '../..', dockerfile: 'apps/cpu-exporter/Dockerfile' });
    expect(cpu.volumes!.every((v) => v.endsWith(':ro'))).toBe(true);
    expect(cpu.command).toEqual(['--port', '9510', '--sysfs-root', '/host/sys', '--cgroup-root', '/host/sys/fs/cgroup']);
    // Attribution needs the host's processes; the GPU exporter needs them for container_id.
    expect(cpu.pid).toBe('host');
    expect(compose.services['gpu-exporter']!.pid).toBe('host');
    expect(compose.services['gpu-exporter']!.profiles).toEqual(['nvidia']);
    expect(compose.services['node-exporter']!.profiles).toEqual(['compare']);
    expect(JSON.stringify(compose.services['gpu-exporter']!.deploy)).toContain('"driver":"nvidia"');
    for (const name of ['victoriametrics', 'prometheus', 'grafana', 'cpu-exporter', 'gpu-exporter', 'node-exporter']) {
      expect(compose.services[name]!.healthcheck?.test.join(' ') ?? '', name).not.toMatch(/curl/);
    }
    expect(Object.keys(compose.volumes ?? {})).toEqual(expect.arrayContaining(['vm-data', 'prometheus-data', 'grafana-data']));
  });
});

describe('scrape configs', () => {
  const files = (config: ScrapeConfig) => config.scrape_configs.map((job) => [job.job_name, job.file_sd_configs?.flatMap((sd) => sd.files)]);

  it('scrape every job once, from targets/<job>.json, VictoriaMetrics every 1 s and Prometheus every 5 s', () => {
    expect(files(vmConfig)).toEqual(SCRAPE_JOBS.map((job) => [job, [`targets/${job}.json`]]));
    expect(files(promConfig)).toEqual(files(vmConfig));
    expect(vmConfig.global).toEqual({ scrape_interval: '1s', scrape_timeout: '800ms' });
    expect(promConfig.global).toEqual({ scrape_interval: '5s', scrape_timeout: '4s' });
  });

  const layouts = () => {
    const local = writeStackConfig(join(work, 'local'), { 'cpu-exporter': ['127.0.0.1:9510'], 'node-exporter': ['127.0.0.1:9100'] });
    return [
      { name: 'compose', vm: composeLayout('compose-vm', infraPaths.vmScrapeConfig, 'scrape.yml'), prom: composeLayout('compose-prom', infraPaths.prometheusConfig, 'prometheus.yml') },
      { name: 'local', vm: local.vmScrapeConfig, prom: local.prometheusConfig },
    ];
  };

  it('pass `promtool check config`, as compose mounts them and as the local stack lays them out', () => {
    const promtool = findBinary('promtool');
    for (const layout of layouts()) {
      const result = run(promtool, ['check', 'config', layout.prom]);
      expect(result.status, `${layout.name}: ${result.stdout}${result.stderr}`).toBe(0);
      expect(result.stdout + result.stderr).toMatch(/SUCCESS/);
    }
  }, CHECKER_TIMEOUT_MS);

  it('pass `victoria-metrics -promscrape.config.dryRun` with the shared flags, both ways', () => {
    const vm = findBinary('victoriaMetrics');
    const env = { ...process.env, ...readVictoriaMetricsFlagsEnv() };
    for (const layout of layouts()) {
      const result = spawnSync(vm, ['-envflag.enable', '-envflag.prefix=VM_', `-promscrape.config=${layout.vm}`, '-promscrape.config.dryRun', '-loggerLevel=ERROR'], { encoding: 'utf8', env, timeout: 60_000 });
      expect(result.status, `${layout.name}: ${result.stderr}`).toBe(0);
    }
  }, CHECKER_TIMEOUT_MS);

  it('and a broken config fails both checkers (the checks can fail)', () => {
    const file = join(work, 'broken-typo.yml');
    writeFileSync(file, readFileSync(infraPaths.vmScrapeConfig, 'utf8').replace('scrape_timeout: 800ms', 'scrape_timeout: 800ms\n  scrape_timout: 1s'));
    expect(run(findBinary('promtool'), ['check', 'config', file]).status).not.toBe(0);
    expect(run(findBinary('victoriaMetrics'), [`-promscrape.config=${file}`, '-promscrape.config.dryRun', '-loggerLevel=ERROR']).status).not.toBe(0);
  }, CHECKER_TIMEOUT_MS);
});

describe('grafana provisioning', () => {
  type Datasources = { datasources: Array<{ name: string; uid: string; type: string; url: string; isDefault?: boolean; jsonData?: { timeInterval?: string } }> };
  const datasources = (parse(readFileSync(infraPaths.grafanaDatasources, 'utf8')) as Datasources).datasources;
  const uids = new Set(datasources.map((d) => d.uid));
  const dashboards = loadDashboards();

  it('provisions VictoriaMetrics as the default and Prometheus beside it, with stable uids and compose URLs', () => {
    expect(datasources.map((d) => [d.uid, d.url, d.isDefault === true, d.jsonData?.timeInterval])).toEqual([
      ['victoriametrics', 'http://victoriametrics:8428', true, '1s'],
      ['prometheus', 'http://prometheus:9090', false, '5s'],
    ]);
  });

  it('serves the dashboards directory compose mounts where the provider reads', () => {
    const providers = parse(readFileSync(infraPaths.grafanaDashboardProviders, 'utf8')) as { providers: Array<{ options: { path: string } }> };
    expect(compose.services.grafana!.volumes).toContain(`../grafana/dashboards:${providers.providers[0]!.options.path}:ro`);
    expect(compose.services.grafana!.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
    expect(dashboards.map((d) => d.file)).toEqual(['cpu-power.json', 'energy-per-stream.json', 'exporter-health.json', 'fleet.json', 'gpu-power.json']);
    expect(new Set(dashboards.map((d) => d.uid)).size).toBe(dashboards.length);
  });

  it('has every panel, query and variable name a provisioned datasource: VictoriaMetrics', () => {
    for (const dashboard of dashboards) {
      for (const panel of panelsOf(dashboard)) {
        const uid = typeof panel.datasource === 'object' ? panel.datasource?.uid : panel.datasource;
        expect(uids.has(uid ?? ''), `${dashboard.uid}: "${panel.title}" datasource ${uid}`).toBe(true);
        expect(panel.targets?.length, `${dashboard.uid}: "${panel.title}" has no query`).toBeGreaterThan(0);
      }
      for (const query of queriesOf(dashboard)) expect(query.datasourceUid, `${query.dashboard}: ${query.panel} ${query.refId}`).toBe('victoriametrics');
      for (const variable of dashboard.variables) expect(variable.datasource?.uid, `${dashboard.uid}: $${variable.name}`).toBe('victoriametrics');
    }
  });

  it('never adds a RAPL package to its subzones, psys to anything, or a zone to itself', () => {
    const layouts = fixtureLayouts();
    const values = builtinVariables(3600);
    const checked: string[] = [];
    for (const dashboard of dashboards) {
      for (const panel of panelsOf(dashboard)) {
        const exprs = (panel.targets ?? []).map((t) => substituteVariables(t.expr ?? '', values)).filter(Boolean);
        for (const expr of exprs) {
          expect(checkZoneArithmetic(expr, layouts), `${dashboard.uid}: "${panel.title}": ${expr}`).toEqual([]);
          checked.push(expr);
        }
        if (isStacked(panel)) expect(checkStackedExpressions(exprs, layouts), `${dashboard.uid}: "${panel.title}"`).toEqual([]);
      }
    }
    // The check saw the zone arithmetic it is there for.
    expect(checked.filter((e) => /sum[^(]*\(.*rapl_(power_watts|energy_joules_total)/.test(e)).length).toBeGreaterThanOrEqual(2);
  });

  it('whereas the same check rejects a dashboard query that sums a package with its subzones', () => {
    const bad = 'sum by (instance) (increase(rapl_energy_joules_total{instance=~"$instance"}[$__range]))';
    expect(checkZoneArithmetic(substituteVariables(bad, builtinVariables(3600))).length).toBeGreaterThan(0);
  });
});
