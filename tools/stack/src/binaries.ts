import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** A program the stack runs is not installed. */
export class BinaryNotFoundError extends Error {
  override readonly name = 'BinaryNotFoundError';
  readonly candidates: readonly string[];

  constructor(what: string, candidates: readonly string[], envVar: string) {
    super(
      `${what} not found (looked for ${candidates.join(', ')} on PATH; set ${envVar} to its path). ` +
        'On Debian, tools/setup.sh installs it.',
    );
    this.candidates = candidates;
  }
}

/** The programs the stack runs: how to find each, and the variable that overrides the search. */
export const BINARIES = {
  victoriaMetrics: { what: 'VictoriaMetrics', envVar: 'STACK_VICTORIA_METRICS_BIN', candidates: ['victoria-metrics', 'victoria-metrics-prod'] },
  prometheus: { what: 'Prometheus', envVar: 'STACK_PROMETHEUS_BIN', candidates: ['prometheus'] },
  promtool: { what: 'promtool', envVar: 'STACK_PROMTOOL_BIN', candidates: ['promtool'] },
  nodeExporter: { what: 'node_exporter', envVar: 'STACK_NODE_EXPORTER_BIN', candidates: ['prometheus-node-exporter', 'node_exporter'] },
  vmagent: { what: 'vmagent', envVar: 'STACK_VMAGENT_BIN', candidates: ['vmagent', 'vmagent-prod'] },
  vmalert: { what: 'vmalert', envVar: 'STACK_VMALERT_BIN', candidates: ['vmalert', 'vmalert-prod'] },
} as const;

/** The executable `name` resolves to on PATH, or undefined. An absolute or relative path is checked as is. */
export function which(name: string, path = process.env.PATH ?? ''): string | undefined {
  const candidates = name.includes('/') ? [name] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return isAbsolute(candidate) ? candidate : join(process.cwd(), candidate);
    } catch {
      // next
    }
  }
  return undefined;
}

/** Finds one of the stack's programs: the override variable first, then each candidate name on PATH. */
export function findBinary(binary: keyof typeof BINARIES, env: NodeJS.ProcessEnv = process.env): string {
  const spec = BINARIES[binary];
  const override = env[spec.envVar];
  if (override) {
    const found = which(override, env.PATH);
    if (!found) throw new BinaryNotFoundError(spec.what, [override], spec.envVar);
    return found;
  }
  for (const candidate of spec.candidates) {
    const found = which(candidate, env.PATH);
    if (found) return found;
  }
  throw new BinaryNotFoundError(spec.what, spec.candidates, spec.envVar);
}
