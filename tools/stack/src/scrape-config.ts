import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { infraPaths } from './paths.js';

/** The scrape jobs both stores run, one file_sd target file each (`targets/<job>.json`). */
export const SCRAPE_JOBS = ['cpu-exporter', 'gpu-exporter', 'node-exporter'] as const;
export type ScrapeJob = (typeof SCRAPE_JOBS)[number];

/** `host:port` targets per job; a job with none gets an empty target file (scraped by nobody). */
export type ScrapeTargets = Partial<Record<ScrapeJob, readonly string[]>>;

/** One file_sd target file: the targets of a job with the labels every one of them gets. Pure. */
export function targetFileContent(targets: readonly string[], labels: Readonly<Record<string, string>>): string {
  const groups = targets.length === 0 ? [] : [{ targets: [...targets], labels: { ...labels } }];
  return `${JSON.stringify(groups, null, 2)}\n`;
}

/** Parses a `KEY=VALUE` env file (blank lines and `#` comments skipped). Pure. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`env file line ${index + 1}: not KEY=VALUE: ${JSON.stringify(raw)}`);
    env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

/** The VictoriaMetrics flags shared with Docker Compose (infra/victoriametrics/victoria-metrics.env). */
export function readVictoriaMetricsFlagsEnv(file: string = infraPaths.vmFlagsEnv): Record<string, string> {
  return parseEnvFile(readFileSync(file, 'utf8'));
}

/** Where writeStackConfig put the files. */
export interface StackConfigFiles {
  readonly dir: string;
  /** infra/victoriametrics/scrape.yml, byte for byte. */
  readonly vmScrapeConfig: string;
  /** infra/prometheus/prometheus.yml, byte for byte. */
  readonly prometheusConfig: string;
  readonly targetsDir: string;
}

/**
 * Lays out the configuration as Docker Compose mounts it, for local processes: the committed scrape configs
 * copied unchanged into `dir`, and `dir/targets/<job>.json` naming local `host:port` targets instead of the
 * compose service names of infra/compose/targets.
 */
export function writeStackConfig(dir: string, targets: ScrapeTargets, labels: Readonly<Record<string, string>> = { stack: 'local' }): StackConfigFiles {
  const targetsDir = join(dir, 'targets');
  mkdirSync(targetsDir, { recursive: true });
  const vmScrapeConfig = join(dir, 'scrape.yml');
  const prometheusConfig = join(dir, 'prometheus.yml');
  copyFileSync(infraPaths.vmScrapeConfig, vmScrapeConfig);
  copyFileSync(infraPaths.prometheusConfig, prometheusConfig);
  for (const job of SCRAPE_JOBS) writeFileSync(join(targetsDir, `${job}.json`), targetFileContent(targets[job] ?? [], labels));
  return { dir, vmScrapeConfig, prometheusConfig, targetsDir };
}
