import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root: this file sits two levels below it (tools/stack/src or tools/stack/dist). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The committed configuration the stack runs: the same files Docker Compose mounts. */
export const infraPaths = {
  vmScrapeConfig: join(repoRoot, 'infra/victoriametrics/scrape.yml'),
  vmFlagsEnv: join(repoRoot, 'infra/victoriametrics/victoria-metrics.env'),
  prometheusConfig: join(repoRoot, 'infra/prometheus/prometheus.yml'),
  composeFile: join(repoRoot, 'infra/compose/docker-compose.yml'),
  composeTargetsDir: join(repoRoot, 'infra/compose/targets'),
  grafanaDatasources: join(repoRoot, 'infra/grafana/provisioning/datasources/datasources.yml'),
  grafanaDashboardProviders: join(repoRoot, 'infra/grafana/provisioning/dashboards/dashboards.yml'),
  grafanaDashboardsDir: join(repoRoot, 'infra/grafana/dashboards'),
} as const;

/** Built entry points of the exporters and the fake nvidia-smi, built by others in the workspace. */
export const buildPaths = {
  cpuExporter: join(repoRoot, 'apps/cpu-exporter/dist/main.js'),
  gpuExporter: join(repoRoot, 'apps/gpu-exporter/dist/main.js'),
  fakeNvidiaSmi: join(repoRoot, 'tools/fake-nvidia-smi/nvidia-smi'),
  /** This package's own static-targets process (many scrape targets serving one body). */
  staticTargets: join(repoRoot, 'tools/stack/dist/static-targets-cli.js'),
} as const;

/** Where `pnpm stack` keeps its run directories by default (gitignored). */
export const defaultRunBaseDir = join(repoRoot, '.tmp');
