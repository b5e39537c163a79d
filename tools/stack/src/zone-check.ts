import { loadPowercapTree, powercapTreeNames } from '@proj/fixtures';
import { parser } from '@prometheus-io/lezer-promql';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/** The metrics whose series carry a RAPL `zone` (and `package`) label: RAPL's own, and the attribution's split of it. */
export const RAPL_ZONE_METRICS = [
  'rapl_power_watts',
  'rapl_energy_joules_total',
  'energy_node_cpu_active_joules_total',
  'energy_node_cpu_idle_joules_total',
  'energy_process_cpu_joules_total',
  'energy_container_cpu_joules_total',
  'energy_cgroup_cpu_joules_total',
] as const;

/** One zone a host exports. */
export interface LayoutZone {
  readonly zone: string;
  /** Absent for psys. */
  readonly package?: string;
  /** The sysfs zone id: `intel-rapl:0:1` is a subzone of `intel-rapl:0`. */
  readonly id: string;
}

/** The zones one kind of host exports. */
export interface ZoneLayout {
  readonly name: string;
  readonly zones: readonly LayoutZone[];
}

/**
 * Whether adding the energy (or power) of two zones counts some of it twice: the same zone, a zone and one of
 * its subzones (a package includes core and uncore; dram is outside it but still may not be summed with its
 * package), or psys with anything (psys covers more than any package). Pure.
 */
export function overlapReason(a: LayoutZone, b: LayoutZone): string | undefined {
  if (a.id === b.id) return `counts zone ${describe(a)} twice`;
  if (a.zone === 'psys' || b.zone === 'psys') return `adds psys, which covers more than any package, to ${describe(a.zone === 'psys' ? b : a)}`;
  if (b.id.startsWith(`${a.id}:`) || a.id.startsWith(`${b.id}:`)) {
    const [parent, child] = b.id.startsWith(`${a.id}:`) ? [a, b] : [b, a];
    return `adds ${describe(parent)} to its own subzone ${describe(child)}`;
  }
  return undefined;
}

function describe(zone: LayoutZone): string {
  return zone.package === undefined ? zone.zone : `${zone.zone} (package ${zone.package})`;
}

/**
 * The layouts the check runs every expression against: every powercap fixture tree (real hosts), plus a
 * multi-die part, which exports dies as top-level zones instead of its package.
 */
export function fixtureLayouts(): ZoneLayout[] {
  const layouts: ZoneLayout[] = powercapTreeNames().map((name) => ({
    name,
    zones: loadPowercapTree(name).expect.zones.map((z) => ({ zone: z.zone, id: z.path, ...(z.package === undefined ? {} : { package: z.package }) })),
  }));
  layouts.push({
    name: 'synthetic multi-die package',
    zones: [
      { zone: 'package_0_die_0', package: '0', id: 'intel-rapl:0' },
      { zone: 'dram', package: '0', id: 'intel-rapl:0:0' },
      { zone: 'package_0_die_1', package: '0', id: 'intel-rapl:1' },
      { zone: 'dram', package: '0', id: 'intel-rapl:1:0' },
    ],
  });
  return layouts;
}

/** What the check found wrong in one expression. */
export interface ZoneProblem {
  readonly expr: string;
  readonly layout: string;
  readonly message: string;
}

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** The RAPL zones whose values were added into this series. */
  readonly sources: readonly LayoutZone[];
}
type Value = { readonly kind: 'scalar' } | { readonly kind: 'vector'; readonly series: readonly Series[] };

const SCALAR: Value = { kind: 'scalar' };

class UnsupportedExpression extends Error {}

/**
 * Checks that an expression never adds RAPL zones that overlap, on any layout: `sum` without `zone` in its
 * grouping, `+` between vectors, over rapl_power_watts or rapl_energy_joules_total. It evaluates the
 * expression's label sets (not values) against each layout's series; a parse error is a problem too.
 * Grafana variables must be substituted first.
 */
export function checkZoneArithmetic(expr: string, layouts: readonly ZoneLayout[] = fixtureLayouts()): ZoneProblem[] {
  const tree = parser.parse(expr);
  let syntaxError: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && syntaxError === undefined) syntaxError = node.from;
    },
  });
  if (syntaxError !== undefined) return [{ expr, layout: '-', message: `does not parse (at offset ${syntaxError})` }];
  const problems: ZoneProblem[] = [];
  for (const layout of layouts) {
    const found = new Set<string>();
    try {
      evaluate(tree.topNode, expr, layout, (message) => found.add(message));
    } catch (error) {
      if (!(error instanceof UnsupportedExpression)) throw error;
      found.add(error.message);
    }
    for (const message of found) problems.push({ expr, layout: layout.name, message });
  }
  return problems;
}

/** Checks several expressions whose series are drawn stacked (a visual sum): no two may overlap. */
export function checkStackedExpressions(exprs: readonly string[], layouts: readonly ZoneLayout[] = fixtureLayouts()): ZoneProblem[] {
  const problems: ZoneProblem[] = [];
  for (const layout of layouts) {
    const sources: LayoutZone[] = [];
    for (const expr of exprs) {
      const value = evaluate(parser.parse(expr).topNode, expr, layout, () => {});
      if (value.kind === 'vector') for (const s of value.series) sources.push(...s.sources);
    }
    const reason = firstOverlap(sources);
    if (reason) problems.push({ expr: exprs.join(' | '), layout: layout.name, message: `stacked series: ${reason}` });
  }
  return problems;
}

function firstOverlap(sources: readonly LayoutZone[]): string | undefined {
  for (let i = 0; i < sources.length; i++) {
    for (let j = i + 1; j < sources.length; j++) {
      const reason = overlapReason(sources[i]!, sources[j]!);
      if (reason) return reason;
    }
  }
  return undefined;
}

function text(node: SyntaxNode, expr: string): string {
  return expr.slice(node.from, node.to);
}

function children(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) out.push(child);
  return out;
}

function unquote(literal: string): string {
  if (literal.startsWith('`')) return literal.slice(1, -1);
  return JSON.parse(literal.startsWith("'") ? `"${literal.slice(1, -1).replace(/"/g, '\\"')}"` : literal) as string;
}

function matches(op: string, value: string | undefined, pattern: string): boolean {
  const v = value ?? '';
  switch (op) {
    case '=':
      return v === pattern;
    case '!=':
      return v !== pattern;
    case '=~':
      return new RegExp(`^(?:${pattern})$`).test(v);
    case '!~':
      return !new RegExp(`^(?:${pattern})$`).test(v);
    default:
      throw new UnsupportedExpression(`unknown label match operator ${op}`);
  }
}

const EXPR_NODES = new Set([
  'AggregateExpr', 'BinaryExpr', 'FunctionCall', 'MatrixSelector', 'NumberDurationLiteral', 'OffsetExpr', 'ParenExpr',
  'StringLiteral', 'SubqueryExpr', 'UnaryExpr', 'VectorSelector', 'StepInvariantExpr',
]);

function exprChildren(node: SyntaxNode): SyntaxNode[] {
  return children(node).filter((child) => EXPR_NODES.has(child.name));
}

function groupingLabels(node: SyntaxNode | undefined, expr: string): string[] {
  const labels = node ? children(node).find((c) => c.name === 'GroupingLabels') : undefined;
  return labels ? children(labels).filter((c) => c.name === 'LabelName').map((c) => text(c, expr)) : [];
}

function keyOf(labels: Readonly<Record<string, string>>, names: readonly string[]): string {
  return JSON.stringify(names.map((name) => labels[name] ?? ''));
}

function evaluate(node: SyntaxNode, expr: string, layout: ZoneLayout, report: (message: string) => void): Value {
  switch (node.name) {
    case 'PromQL':
    case 'ParenExpr':
    case 'OffsetExpr':
    case 'MatrixSelector':
    case 'SubqueryExpr':
    case 'StepInvariantExpr': {
      const inner = exprChildren(node)[0];
      return inner ? evaluate(inner, expr, layout, report) : SCALAR;
    }
    case 'UnaryExpr':
      return evaluate(exprChildren(node)[0]!, expr, layout, report);
    case 'NumberDurationLiteral':
    case 'StringLiteral':
      return SCALAR;
    case 'VectorSelector':
      return selector(node, expr, layout);
    case 'FunctionCall':
      return functionCall(node, expr, layout, report);
    case 'AggregateExpr':
      return aggregate(node, expr, layout, report);
    case 'BinaryExpr':
      return binary(node, expr, layout, report);
    default:
      throw new UnsupportedExpression(`cannot check a ${node.name} (${text(node, expr)})`);
  }
}

function selector(node: SyntaxNode, expr: string, layout: ZoneLayout): Value {
  const identifier = children(node).find((c) => c.name === 'Identifier');
  const matchers: Array<{ name: string; op: string; value: string }> = [];
  const list = children(node).find((c) => c.name === 'LabelMatchers');
  for (const matcher of list ? children(list) : []) {
    const parts = children(matcher);
    const name = parts.find((p) => p.name === 'LabelName' || p.name === 'QuotedLabelName');
    const op = parts.find((p) => p.name === 'MatchOp');
    const value = parts.find((p) => p.name === 'StringLiteral');
    if (!op || !value) continue; // a bare quoted metric name: handled below as __name__
    const labelName = name ? (name.name === 'QuotedLabelName' ? unquote(text(name, expr)) : text(name, expr)) : '__name__';
    matchers.push({ name: labelName, op: text(op, expr), value: unquote(text(value, expr)) });
  }
  const nameMatchers = matchers.filter((m) => m.name === '__name__');
  const metrics = RAPL_ZONE_METRICS.filter(
    (metric) => (identifier ? text(identifier, expr) === metric : nameMatchers.length > 0) && nameMatchers.every((m) => matches(m.op, metric, m.value)),
  );
  const series: Series[] = [];
  for (const metric of metrics) {
    for (const zone of layout.zones) {
      const labels: Record<string, string> = { __name__: metric, zone: zone.zone, instance: 'host:9510', job: 'cpu-exporter' };
      if (zone.package !== undefined) labels.package = zone.package;
      if (matchers.every((m) => matches(m.op, labels[m.name], m.value))) series.push({ labels, sources: [zone] });
    }
  }
  return { kind: 'vector', series };
}

function withoutName(labels: Readonly<Record<string, string>>): Record<string, string> {
  const { __name__: _, ...rest } = labels;
  return rest;
}

function functionCall(node: SyntaxNode, expr: string, layout: ZoneLayout, report: (message: string) => void): Value {
  const name = text(children(node).find((c) => c.name === 'FunctionIdentifier')!, expr);
  const body = children(node).find((c) => c.name === 'FunctionCallBody');
  const args = body ? exprChildren(body).map((arg) => evaluate(arg, expr, layout, report)) : [];
  if (name === 'vector') return { kind: 'vector', series: [{ labels: {}, sources: [] }] };
  const vector = args.find((arg): arg is Extract<Value, { kind: 'vector' }> => arg.kind === 'vector');
  if (!vector || name === 'scalar') return SCALAR;
  return { kind: 'vector', series: vector.series.map((s) => ({ labels: withoutName(s.labels), sources: s.sources })) };
}

function aggregate(node: SyntaxNode, expr: string, layout: ZoneLayout, report: (message: string) => void): Value {
  const op = text(children(node).find((c) => c.name === 'AggregateOp')!, expr).toLowerCase();
  const modifier = children(node).find((c) => c.name === 'AggregateModifier');
  const body = children(node).find((c) => c.name === 'FunctionCallBody')!;
  const args = exprChildren(body).map((arg) => evaluate(arg, expr, layout, report));
  const input = args.at(-1);
  if (!input || input.kind !== 'vector') return SCALAR;
  if (op === 'topk' || op === 'bottomk' || op === 'limitk' || op === 'limit_ratio') return input;
  const names = groupingLabels(modifier, expr);
  const without = modifier ? children(modifier).some((c) => c.name === 'Without') : false;
  const grouping = (labels: Readonly<Record<string, string>>): Record<string, string> => {
    const rest = withoutName(labels);
    if (without) return Object.fromEntries(Object.entries(rest).filter(([k]) => !names.includes(k)));
    return Object.fromEntries(Object.entries(rest).filter(([k]) => names.includes(k)));
  };
  const groups = new Map<string, { labels: Record<string, string>; sources: LayoutZone[] }>();
  for (const s of input.series) {
    const labels = grouping(s.labels);
    const key = JSON.stringify(Object.entries(labels).sort());
    const group = groups.get(key) ?? { labels, sources: [] };
    group.sources.push(...s.sources);
    groups.set(key, group);
  }
  if (op === 'sum') {
    for (const group of groups.values()) {
      const reason = firstOverlap(group.sources);
      if (reason) report(`sum ${reason}`);
    }
  }
  // count and group say how many, not how much: nothing of the zones' energy is carried on.
  const carries = op !== 'count' && op !== 'group' && op !== 'count_values';
  return { kind: 'vector', series: [...groups.values()].map((g) => ({ labels: g.labels, sources: carries ? g.sources : [] })) };
}

function binary(node: SyntaxNode, expr: string, layout: ZoneLayout, report: (message: string) => void): Value {
  const parts = children(node);
  const operands = parts.filter((p) => EXPR_NODES.has(p.name));
  const [leftNode, rightNode] = [operands[0]!, operands[1]!];
  const operator = parts.find((p) => p.from >= leftNode.to && p.to <= rightNode.from && !EXPR_NODES.has(p.name) && p.name !== 'MatchingModifierClause' && p.name !== 'BoolModifier')!;
  const op = operator.name;
  const left = evaluate(leftNode, expr, layout, report);
  const right = evaluate(rightNode, expr, layout, report);
  if (left.kind === 'scalar' && right.kind === 'scalar') return SCALAR;
  if (left.kind === 'scalar') return right;
  if (right.kind === 'scalar') return left;

  const clause = parts.find((p) => p.name === 'MatchingModifierClause');
  const onLabels = clause && children(clause).some((c) => c.name === 'On') ? groupingLabels(clause, expr) : undefined;
  const ignoring = clause && children(clause).some((c) => c.name === 'Ignoring') ? groupingLabels(clause, expr) : [];
  const groupRight = clause ? children(clause).some((c) => c.name === 'GroupRight') : false;
  const matchKey = (labels: Readonly<Record<string, string>>) => {
    const rest = withoutName(labels);
    const names = onLabels ?? Object.keys(rest).filter((k) => !ignoring.includes(k)).sort();
    return keyOf(rest, onLabels ? onLabels : names) + (onLabels ? '' : JSON.stringify(names));
  };

  if (op === 'Or') {
    const leftKeys = new Set(left.series.map((s) => matchKey(s.labels)));
    return { kind: 'vector', series: [...left.series, ...right.series.filter((s) => !leftKeys.has(matchKey(s.labels)))] };
  }
  const rightByKey = new Map<string, Series[]>();
  for (const s of right.series) rightByKey.set(matchKey(s.labels), [...(rightByKey.get(matchKey(s.labels)) ?? []), s]);
  if (op === 'And') return { kind: 'vector', series: left.series.filter((s) => rightByKey.has(matchKey(s.labels))) };
  if (op === 'Unless') return { kind: 'vector', series: left.series.filter((s) => !rightByKey.has(matchKey(s.labels))) };

  const out: Series[] = [];
  for (const l of left.series) {
    for (const r of rightByKey.get(matchKey(l.labels)) ?? []) {
      const sources = op === 'Add' ? [...l.sources, ...r.sources] : groupRight ? r.sources : l.sources;
      if (op === 'Add') {
        const reason = firstOverlap(sources);
        if (reason) report(`+ ${reason}`);
      }
      out.push({ labels: withoutName(groupRight ? r.labels : l.labels), sources });
    }
  }
  return { kind: 'vector', series: out };
}
