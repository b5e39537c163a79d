import { Gauge, Registry } from 'prom-client';

/** A new, empty registry. The exporters never use prom-client's global one. */
export function createRegistry(): Registry {
  return new Registry();
}

/** Build information for an `<prefix>_info` metric. */
export interface InfoLabels {
  readonly version: string;
  /** Defaults to `node-<version>`, e.g. `node-20.20.2`. */
  readonly runtime?: string;
}

/** The runtime label value for this process, e.g. `node-20.20.2`. */
export function runtimeLabel(): string {
  return `node-${process.versions.node}`;
}

/**
 * Registers `<prefix>_info` (gauge = 1) with `version`, `language="typescript"` and `runtime` labels.
 * It is always present, whatever the exporter's data source is doing.
 */
export function registerInfoMetric(registry: Registry, prefix: string, labels: InfoLabels): Gauge<'version' | 'language' | 'runtime'> {
  const info = new Gauge({
    name: `${prefix}_info`,
    help: `Build information about ${prefix.replace(/_/g, ' ')}; always 1.`,
    labelNames: ['version', 'language', 'runtime'] as const,
    registers: [registry],
  });
  info.set({ version: labels.version, language: 'typescript', runtime: labels.runtime ?? runtimeLabel() }, 1);
  return info;
}
