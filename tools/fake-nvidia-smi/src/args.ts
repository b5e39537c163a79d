/** `--format=csv[,noheader][,nounits]`. */
export interface QueryFormat {
  readonly noheader: boolean;
  readonly nounits: boolean;
}

/** What the command line asks for. */
export type Command =
  | { readonly kind: 'usage' }
  | { readonly kind: 'version' }
  | { readonly kind: 'list' }
  | { readonly kind: 'help-query-gpu' }
  | { readonly kind: 'query'; readonly fields: readonly string[]; readonly format: QueryFormat; readonly intervalMs: number | undefined }
  /** Arguments nvidia-smi would reject. */
  | { readonly kind: 'invalid' }
  /** Arguments a real nvidia-smi would accept but this fake does not emulate (e.g. no arguments: the summary table). */
  | { readonly kind: 'unsupported'; readonly what: string };

// `--name=value` or `--name value`; nvidia-smi spells its options both ways.
const VALUED = new Map([
  ['--query-gpu', 'query'],
  ['--format', 'format'],
  ['-l', 'loop'],
  ['--loop', 'loop'],
  ['-lms', 'loopMs'],
  ['--loop-ms', 'loopMs'],
]);
const FLAGS = new Map([
  ['-h', 'usage'],
  ['--help', 'usage'],
  ['--version', 'version'],
  ['-L', 'list'],
  ['--list-gpus', 'list'],
  ['--help-query-gpu', 'help-query-gpu'],
]);

/** Reads nvidia-smi's command line (the subset the exporter uses). Pure. */
export function parseArgs(argv: readonly string[]): Command {
  if (argv.length === 0) return { kind: 'unsupported', what: 'the summary table (no arguments)' };
  const values = new Map<string, string>();
  const actions: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const valued = VALUED.get(name);
    if (valued !== undefined) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || values.has(valued)) return { kind: 'invalid' };
      values.set(valued, value);
      continue;
    }
    const flag = FLAGS.get(arg);
    if (flag === undefined) return { kind: 'invalid' };
    actions.push(flag);
  }
  if (actions.length > 1 || (actions.length === 1 && values.size > 0)) return { kind: 'invalid' };
  if (actions.length === 1) return { kind: actions[0] } as Command;
  const query = values.get('query');
  const format = values.get('format');
  if (query === undefined || format === undefined) return { kind: 'unsupported', what: 'anything but --query-gpu with --format' };
  const options = format.split(',');
  if (options[0] !== 'csv' || options.slice(1).some((option) => option !== 'noheader' && option !== 'nounits')) return { kind: 'invalid' };
  const loop = values.get('loop');
  const loopMs = values.get('loopMs');
  if (loop !== undefined && loopMs !== undefined) return { kind: 'invalid' };
  let intervalMs: number | undefined;
  if (loop !== undefined || loopMs !== undefined) {
    const count = Number(loop ?? loopMs);
    if (!/^\d+$/.test(loop ?? loopMs!) || count < 1) return { kind: 'invalid' };
    intervalMs = loop !== undefined ? count * 1000 : count;
  }
  return {
    kind: 'query',
    fields: query.split(','),
    format: { noheader: options.includes('noheader'), nounits: options.includes('nounits') },
    intervalMs,
  };
}
