import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { infraPaths } from './paths.js';

/** A Grafana panel as far as these checks read it. */
export interface GrafanaPanel {
  readonly id?: number;
  readonly type: string;
  readonly title?: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string } | string | null;
  readonly targets?: ReadonlyArray<{ readonly refId?: string; readonly expr?: string; readonly datasource?: { readonly uid?: string } }>;
  readonly panels?: readonly GrafanaPanel[];
  readonly fieldConfig?: { readonly defaults?: { readonly custom?: { readonly stacking?: { readonly mode?: string } } } };
}

/** A dashboard file. */
export interface LoadedDashboard {
  readonly file: string;
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly GrafanaPanel[];
  readonly variables: ReadonlyArray<{ readonly name: string; readonly type: string; readonly query?: unknown; readonly datasource?: { readonly uid?: string } }>;
}

/** One PromQL expression of a panel. */
export interface DashboardQuery {
  readonly dashboard: string;
  readonly panel: string;
  readonly refId: string;
  readonly expr: string;
  /** The target's datasource uid, else its panel's. */
  readonly datasourceUid: string | undefined;
}

/** Reads every `*.json` dashboard in `dir` (infra/grafana/dashboards by default). */
export function loadDashboards(dir: string = infraPaths.grafanaDashboardsDir): LoadedDashboard[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
        uid: string;
        title: string;
        panels?: GrafanaPanel[];
        templating?: { list?: LoadedDashboard['variables'] };
      };
      return { file, uid: json.uid, title: json.title, panels: json.panels ?? [], variables: json.templating?.list ?? [] };
    });
}

/** Every panel but rows, including those inside collapsed rows. Pure. */
export function panelsOf(dashboard: Pick<LoadedDashboard, 'panels'>): GrafanaPanel[] {
  return dashboard.panels.flatMap((panel) => (panel.type === 'row' ? (panel.panels ?? []) : [panel]));
}

function uidOf(datasource: GrafanaPanel['datasource']): string | undefined {
  if (!datasource) return undefined;
  return typeof datasource === 'string' ? datasource : datasource.uid;
}

/** Every expression of every panel, with the datasource it runs on. Pure. */
export function queriesOf(dashboard: LoadedDashboard): DashboardQuery[] {
  return panelsOf(dashboard).flatMap((panel) =>
    (panel.targets ?? [])
      .filter((target) => typeof target.expr === 'string' && target.expr.trim() !== '')
      .map((target) => ({
        dashboard: dashboard.uid,
        panel: panel.title ?? `panel ${panel.id}`,
        refId: target.refId ?? '?',
        expr: target.expr!,
        datasourceUid: uidOf(target.datasource ?? null) ?? uidOf(panel.datasource),
      })),
  );
}

/** Values for Grafana's built-in variables, as a test window of `rangeSeconds` would give them. */
export function builtinVariables(rangeSeconds: number, scrapeIntervalSeconds = 1): Record<string, string> {
  return {
    __range: `${rangeSeconds}s`,
    __range_s: String(rangeSeconds),
    __range_ms: String(rangeSeconds * 1000),
    // Grafana: max($__interval + scrape interval, 4 x scrape interval)
    __rate_interval: `${Math.max(2 * scrapeIntervalSeconds, 4 * scrapeIntervalSeconds)}s`,
    __interval: `${scrapeIntervalSeconds}s`,
    __interval_ms: String(scrapeIntervalSeconds * 1000),
  };
}

/**
 * Replaces `$name`, `${name}` and `[[name]]` with `values[name]`, and dashboard variables not in `values`
 * with `.*` (the "All" value the dashboards give every variable). Pure.
 */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>>): string {
  const value = (name: string) => values[name] ?? '.*';
  return expr
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}/g, (_, name: string) => value(name))
    .replace(/\[\[([A-Za-z_][A-Za-z0-9_]*)\]\]/g, (_, name: string) => value(name))
    .replace(/\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, name: string) => value(name));
}

/** Whether a panel draws its series stacked: then it shows their sum. Pure. */
export function isStacked(panel: GrafanaPanel): boolean {
  const mode = panel.fieldConfig?.defaults?.custom?.stacking?.mode;
  return mode !== undefined && mode !== 'none';
}
