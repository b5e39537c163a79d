// The rules of infra/rules pass their checkers and their own unit tests: `promtool check rules`,
// `promtool test rules` (Prometheus's rule test format: each alert fires on the series that should fire it and
// stays silent otherwise) and `vmalert -dryRun` (vmalert loads the same files). Also: every alert carries a
// severity, a summary and a description naming the host and the value, and has a test that fires it and one
// that keeps it silent; every recording rule has a test; and no rule adds overlapping RAPL zones.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { findBinary } from '../src/binaries.js';
import { infraPaths } from '../src/paths.js';
import { ruleFiles, rulesPaths } from '../src/vmalert.js';
import { checkZoneArithmetic, fixtureLayouts } from '../src/zone-check.js';

const CHECKER_TIMEOUT_MS = 120_000;

type Rule = { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
type RuleFile = { groups: Array<{ name: string; interval?: string; rules: Rule[] }> };
type AlertTest = { eval_time: string; alertname: string; exp_alerts: Array<{ exp_labels: Record<string, string>; exp_annotations: Record<string, string> }> };
type TestFile = { rule_files: string[]; tests: Array<{ name: string; alert_rule_test?: AlertTest[]; promql_expr_test?: Array<{ expr: string }> }> };

const files = ruleFiles();
const rules = files.flatMap((file) => (parse(readFileSync(file, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules));
const alerts = rules.filter((r) => r.alert);
const records = rules.filter((r) => r.record);
const testFiles = readdirSync(rulesPaths.testsDir).filter((f) => f.endsWith('.test.yml')).map((f) => join(rulesPaths.testsDir, f));
const tests = testFiles.flatMap((file) => (parse(readFileSync(file, 'utf8')) as TestFile).tests);

const work = mkdtempSync(join(tmpdir(), 'rules-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** promtool with the rule tests' relative paths resolved from their own directory. */
function promtool(args: string[]) {
  return spawnSync(findBinary('promtool'), args, { encoding: 'utf8', timeout: 60_000, cwd: rulesPaths.testsDir });
}

describe('infra/rules', () => {
  it('finds the alert and recording rule files, and promtool and vmalert installed', () => {
    expect(files.map((f) => f.slice(rulesPaths.dir.length + 1))).toEqual(['alerts.yml', 'recording.yml']);
    // Loud on purpose: tools/setup.sh installs prometheus (promtool) and victoria-metrics (vmalert).
    expect(() => findBinary('promtool'), 'promtool is not installed: run tools/setup.sh').not.toThrow();
    expect(() => findBinary('vmalert'), 'vmalert is not installed: run tools/setup.sh').not.toThrow();
  });

  it('pass `promtool check rules`', () => {
    const result = promtool(['check', 'rules', ...files]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout.match(/SUCCESS: (\d+) rules found/g)).toEqual([`SUCCESS: ${alerts.length} rules found`, `SUCCESS: ${records.length} rules found`]);
  }, CHECKER_TIMEOUT_MS);

  it('pass their unit tests: `promtool test rules`', () => {
    expect(testFiles.length).toBeGreaterThanOrEqual(2);
    const result = promtool(['test', 'rules', ...testFiles]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(result.stdout.match(/SUCCESS/g)).toHaveLength(testFiles.length);
  }, CHECKER_TIMEOUT_MS);

  it('whereas a unit test expecting a different description fails (the tests can fail)', () => {
    const file = join(rulesPaths.testsDir, 'alerts.test.yml');
    const broken = join(work, 'broken.test.yml');
    const text = readFileSync(file, 'utf8').replace(/rule_files:\n  - \.\.\/alerts\.yml/, `rule_files:\n  - ${join(rulesPaths.dir, 'alerts.yml')}`);
    writeFileSync(broken, text.replace('(up = 0)', '(up = 1)'));
    expect(promtool(['test', 'rules', broken]).status).not.toBe(0);
    writeFileSync(broken, text); // and the same file unbroken passes from there
    expect(promtool(['test', 'rules', broken]).status).toBe(0);
  }, CHECKER_TIMEOUT_MS);

  it('load in vmalert (`vmalert -dryRun`), and a broken expression fails it', () => {
    const vmalert = findBinary('vmalert');
    const ok = spawnSync(vmalert, ['-dryRun', '-loggerLevel=ERROR', ...files.map((f) => `-rule=${f}`)], { encoding: 'utf8', timeout: 60_000 });
    expect(ok.status, ok.stderr).toBe(0);
    const broken = join(work, 'broken-rules.yml');
    writeFileSync(broken, readFileSync(files[0]!, 'utf8').replace('expr: gpu_devices < on', 'expr: gpu_devices < < on'));
    expect(spawnSync(vmalert, ['-dryRun', '-loggerLevel=ERROR', `-rule=${broken}`], { encoding: 'utf8', timeout: 60_000 }).status).not.toBe(0);
  }, CHECKER_TIMEOUT_MS);

  it('give every alert a severity, a summary and a description naming the host and the value', () => {
    expect(alerts.length).toBeGreaterThanOrEqual(12);
    for (const alert of alerts) {
      expect(['critical', 'warning', 'info'], alert.alert).toContain(alert.labels?.severity);
      expect(alert.annotations?.summary, alert.alert).toContain('{{ $labels.instance }}');
      expect(alert.annotations?.description, alert.alert).toContain('{{ $labels.instance }}');
      expect(alert.annotations?.description, alert.alert).toMatch(/\{\{ \$value( \| \w+)? \}\}/);
    }
  });

  it('test every alert firing (with its annotations) and silent, and every recording rule', () => {
    const alertTests = tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of alerts) {
      const own = alertTests.filter((t) => t.alertname === alert.alert);
      expect(own.some((t) => t.exp_alerts.length > 0 && t.exp_alerts.every((a) => a.exp_annotations.description)), `${alert.alert} fires in a test`).toBe(true);
      expect(own.some((t) => t.exp_alerts.length === 0), `${alert.alert} is silent in a test`).toBe(true);
    }
    const exprs = tests.flatMap((t) => (t.promql_expr_test ?? []).map((p) => p.expr));
    for (const record of records) expect(exprs, record.record).toContain(record.record);
  });

  it('never add a RAPL package to its subzones, psys to anything, or a zone to itself', () => {
    const layouts = fixtureLayouts();
    for (const rule of rules) expect(checkZoneArithmetic(rule.expr, layouts), rule.alert ?? rule.record).toEqual([]);
    // The check saw the sums over zones it is there for.
    expect(rules.filter((r) => /sum by .*rapl_(power_watts|energy_joules_total)/.test(r.expr)).length).toBeGreaterThanOrEqual(2);
  });

  it('whereas the same check rejects a recording rule that sums every zone of a host', () => {
    expect(checkZoneArithmetic('sum by (instance) (rapl_power_watts)', fixtureLayouts()).length).toBeGreaterThan(0);
  });
});

describe('the stack loads the rules', () => {
  type Service = { image: string; command: string[]; volumes?: string[]; env_file?: string; healthcheck?: { test: string[] } };
  const compose = parse(readFileSync(infraPaths.composeFile, 'utf8')) as { services: Record<string, Service> };
  const composeDir = resolve(infraPaths.composeFile, '..');
  const mountOf = (service: Service, target: string) => service.volumes?.find((v) => v.split(':')[1] === target)?.split(':')[0];

  it('Prometheus: rule_files rules/*.yml beside its config, where compose mounts infra/rules', () => {
    const config = parse(readFileSync(infraPaths.prometheusConfig, 'utf8')) as { rule_files: string[] };
    expect(config.rule_files).toEqual(['rules/*.yml']);
    expect(resolve(composeDir, mountOf(compose.services.prometheus!, '/etc/prometheus/rules')!)).toBe(rulesPaths.dir);
  });

  it('compose runs vmalert on the same files against VictoriaMetrics, with the shared flags, and an Alertmanager', () => {
    const vmalert = compose.services.vmalert!;
    expect(vmalert.image).toMatch(/^victoriametrics\/vmalert:v1\.79\.\d+$/);
    expect(resolve(composeDir, mountOf(vmalert, '/etc/vmalert/rules')!)).toBe(rulesPaths.dir);
    expect(resolve(composeDir, vmalert.env_file!)).toBe(rulesPaths.vmalertFlagsEnv);
    expect(vmalert.command).toEqual(
      expect.arrayContaining([
        '-envflag.enable', '-envflag.prefix=VMALERT_', '-rule=/etc/vmalert/rules/*.yml', '-datasource.url=http://victoriametrics:8428',
        '-remoteWrite.url=http://victoriametrics:8428', '-notifier.url=http://alertmanager:9093',
      ]),
    );
    expect(compose.services.alertmanager!.image).toMatch(/^prom\/alertmanager:v\d+\.\d+\.\d+$/);
    expect(vmalert.healthcheck!.test.join(' ')).toContain('/health');
  });
});
