import { NvsmiError, parseHelpQueryGpu, parseQueryCsv, type HelpQueryGpu, type QueryRow } from '@proj/nvsmi-parser';
import { runOnce, type RunResult } from '@proj/subprocess';
import { selectFields, type FieldSelection } from './fields.js';

/** Something nvidia-smi said that was not data, with the reason it is counted under. */
export interface ProbeError {
  readonly reason: string;
  readonly message: string;
}

/** What one probe found. */
export type ProbeOutcome =
  | {
      readonly kind: 'ready';
      readonly help: HelpQueryGpu;
      readonly selection: FieldSelection;
      /** The first answer: a row per GPU. */
      readonly rows: readonly QueryRow[];
      /** `--query-gpu=<fields> --format=csv,noheader,nounits`: add `-lms <interval>` for the loop. */
      readonly queryArgs: readonly string[];
      /** Rows that were not data but did not fail the answer. */
      readonly errors: readonly ProbeError[];
    }
  | {
      readonly kind: 'unavailable';
      /** `missing`: cannot be run; `no_gpus`: runs, sees none; `failing`: runs, cannot answer (no driver, garbage, timeout). */
      readonly state: 'missing' | 'failing' | 'no_gpus';
      /** Why, in words for /health. */
      readonly detail: string;
      readonly errors: readonly ProbeError[];
      /** The nvidia-smi error behind it, when there is one. */
      readonly cause?: NvsmiError;
    }
  | { readonly kind: 'aborted' };

/** Options for probeNvidiaSmi. */
export interface ProbeOptions {
  /** Limit for each of the two runs. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

function failedRun(command: string, result: Exclude<RunResult, { kind: 'exited' }>, what: string, timeoutMs: number): ProbeOutcome {
  if (result.kind === 'aborted') return { kind: 'aborted' };
  if (result.kind === 'spawn_failed') {
    return {
      kind: 'unavailable',
      state: 'missing',
      detail: `cannot run ${command} (${result.code}${result.code === 'ENOENT' ? ': not installed or not on PATH' : ''})`,
      errors: [{ reason: 'spawn', message: result.message }],
    };
  }
  return {
    kind: 'unavailable',
    state: 'failing',
    detail: `${command} ${what} did not answer within ${timeoutMs} ms`,
    errors: [{ reason: 'timeout', message: `${what} timed out after ${timeoutMs} ms` }],
  };
}

function failedAnswer(error: unknown, what: string, errors: readonly ProbeError[] = []): ProbeOutcome {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof NvsmiError ? error : undefined;
  return {
    kind: 'unavailable',
    state: cause?.reason === 'no_devices' ? 'no_gpus' : 'failing',
    detail: `${what}: ${message}`,
    errors: cause ? [...errors, { reason: cause.reason, message }] : errors,
    ...(cause ? { cause } : {}),
  };
}

/**
 * Asks nvidia-smi, through the process module, which fields this driver knows (`--help-query-gpu`: one unknown
 * field fails a whole query) and then every GPU's row once. Never throws: what it found, or why nvidia-smi is
 * unavailable, comes back as data.
 */
export async function probeNvidiaSmi(command: string, options: ProbeOptions): Promise<ProbeOutcome> {
  const run = { timeoutMs: options.timeoutMs, ...(options.signal === undefined ? {} : { signal: options.signal }) };
  const helpRun = await runOnce(command, ['--help-query-gpu'], run);
  if (helpRun.kind !== 'exited') return failedRun(command, helpRun, '--help-query-gpu', options.timeoutMs);
  let help: HelpQueryGpu;
  try {
    help = parseHelpQueryGpu(helpRun.stdout + (helpRun.stdout.trim() === '' ? helpRun.stderr : ''));
  } catch (error) {
    return failedAnswer(error, '--help-query-gpu');
  }
  const selection = selectFields(help);
  if (selection.missingLabels.length > 0) {
    return failedAnswer(new Error(`this driver cannot report ${selection.missingLabels.join(', ')}, needed to label GPUs`), '--help-query-gpu');
  }
  const queryArgs = [`--query-gpu=${selection.fields.join(',')}`, '--format=csv,noheader,nounits'];
  const queryRun = await runOnce(command, queryArgs, run);
  if (queryRun.kind !== 'exited') return failedRun(command, queryRun, '--query-gpu', options.timeoutMs);
  let rows: readonly QueryRow[];
  let errors: ProbeError[];
  try {
    const table = parseQueryCsv(queryRun.stdout + queryRun.stderr, { header: false, fields: selection.fields, help });
    errors = table.errors.map((error) => ({ reason: error.reason, message: error.message }));
    rows = table.rows;
  } catch (error) {
    return failedAnswer(error, '--query-gpu');
  }
  if (rows.length === 0) return failedAnswer(new Error(`no GPU rows (exit code ${queryRun.code})`), '--query-gpu', errors);
  return { kind: 'ready', help, selection, rows, queryArgs, errors };
}
