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
  /** `--query-compute-apps=<fields> --format=csv[,...]` (one shot). */
  | { readonly kind: 'query-compute-apps'; readonly fields: readonly string[]; readonly format: QueryFormat }
  /**
   * `pmon [-s um] [-d N] [-c N] [-i 0,1]`: `select` holds the `-s` letters (default `u`), `delaySeconds` 1-10
   * (default 1), `count` the intervals before exiting (undefined: forever), `gpus` the `-i` indexes (undefined: all).
   */
  | { readonly kind: 'pmon'; readonly select: string; readonly delaySeconds: number; readonly count: number | undefined; readonly gpus: readonly number[] | undefined }
  /** Arguments nvidia-smi would reject. */
  | { readonly kind: 'invalid' }
  /** Arguments a real nvidia-smi would accept but this fake does not emulate (e.g. no arguments: the summary table). */
  | { readonly kind: 'unsupported'; readonly what: string };

// `--name=value` or `--name value`; nvidia-smi spells its options both ways.
const VALUED = new Map([
  ['--query-gpu', 'query'],
  ['--query-compute-apps', 'computeApps'],
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

const PMON_VALUED = new Map([
  ['-s', 'select'],
  ['--select', 'select'],
  ['-d', 'delay'],
  ['--delay', 'delay'],
  ['-c', 'count'],
  ['--count', 'count'],
  ['-i', 'id'],
  ['--id', 'id'],
]);

/** `nvidia-smi pmon ...`: the options the exporter uses; `-o` and `-f` are not emulated. */
function parsePmonArgs(argv: readonly string[]): Command {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (name === '-o' || name === '--options' || name === '-f' || name === '--filename') return { kind: 'unsupported', what: `pmon ${name}` };
    const valued = PMON_VALUED.get(name);
    if (valued === undefined) return { kind: 'invalid' };
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || values.has(valued)) return { kind: 'invalid' };
    values.set(valued, value);
  }
  const select = values.get('select') ?? 'u';
  if (!/^[um]+$/.test(select)) return { kind: 'invalid' };
  const delay = values.get('delay') ?? '1';
  if (!/^\d+$/.test(delay) || Number(delay) < 1 || Number(delay) > 10) return { kind: 'invalid' };
  const count = values.get('count');
  if (count !== undefined && (!/^\d+$/.test(count) || Number(count) < 1)) return { kind: 'invalid' };
  const id = values.get('id');
  if (id !== undefined && !/^\d+(,\d+)*$/.test(id)) return { kind: 'unsupported', what: 'pmon -i by UUID or PCI bus id (indexes only)' };
  return {
    kind: 'pmon',
    select,
    delaySeconds: Number(delay),
    count: count === undefined ? undefined : Number(count),
    gpus: id === undefined ? undefined : id.split(',').map(Number),
  };
}

/** Reads nvidia-smi's command line (the subset the exporter uses). Pure. */
export function parseArgs(argv: readonly string[]): Command {
  if (argv.length === 0) return { kind: 'unsupported', what: 'the summary table (no arguments)' };
  if (argv[0] === 'pmon') return parsePmonArgs(argv.slice(1));
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
  const computeApps = values.get('computeApps');
  const format = values.get('format');
  if ((query === undefined) === (computeApps === undefined) || format === undefined) {
    return query !== undefined && computeApps !== undefined ? { kind: 'invalid' } : { kind: 'unsupported', what: 'anything but --query-gpu or --query-compute-apps with --format' };
  }
  const options = format.split(',');
  if (options[0] !== 'csv' || options.slice(1).some((option) => option !== 'noheader' && option !== 'nounits')) return { kind: 'invalid' };
  const queryFormat = { noheader: options.includes('noheader'), nounits: options.includes('nounits') };
  if (computeApps !== undefined) {
    if (values.has('loop') || values.has('loopMs')) return { kind: 'unsupported', what: '--query-compute-apps in loop mode' };
    return { kind: 'query-compute-apps', fields: computeApps.split(','), format: queryFormat };
  }
  const loop = values.get('loop');
  const loopMs = values.get('loopMs');
  if (loop !== undefined && loopMs !== undefined) return { kind: 'invalid' };
  let intervalMs: number | undefined;
  if (loop !== undefined || loopMs !== undefined) {
    const count = Number(loop ?? loopMs);
    if (!/^\d+$/.test(loop ?? loopMs!) || count < 1) return { kind: 'invalid' };
    intervalMs = loop !== undefined ? count * 1000 : count;
  }
  return { kind: 'query', fields: query!.split(','), format: queryFormat, intervalMs };
}
