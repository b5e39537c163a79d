import { killGroup } from './groups.js';
import { spawnGroup, type SpawnGroupOptions } from './spawn.js';

/** How a run ended. */
export type RunResult =
  | {
      readonly kind: 'exited';
      readonly code: number | null;
      readonly signal: NodeJS.Signals | null;
      readonly stdout: string;
      readonly stderr: string;
      /** True when either stream was longer than maxOutputBytes and was cut there. */
      readonly truncated: boolean;
    }
  /** It could not be started: ENOENT (not installed), EACCES (not executable), ... */
  | { readonly kind: 'spawn_failed'; readonly code: string; readonly message: string }
  /** It ran past the timeout (`timed_out`) or the signal aborted it (`aborted`); its whole group was killed. */
  | { readonly kind: 'timed_out' | 'aborted'; readonly stdout: string; readonly stderr: string; readonly truncated: boolean };

/** Options for runOnce. Its output is always captured, so spawnGroup's `output` is not among them. */
export interface RunOnceOptions extends Omit<SpawnGroupOptions, 'output'> {
  /** Kill the group after this long. No limit by default. */
  readonly timeoutMs?: number;
  /** Kill the group when this aborts. */
  readonly signal?: AbortSignal;
  /** Most characters kept of each of standard output and error; 4 MiB by default. */
  readonly maxOutputBytes?: number;
}

const DEFAULT_MAX_OUTPUT = 4 * 1024 * 1024;

/**
 * Runs `command args` once in its own process group and resolves with how it ended; never rejects. A timeout or an
 * abort kills the whole group; output beyond `maxOutputBytes` per stream is dropped (and said so).
 */
export function runOnce(command: string, args: readonly string[], options: RunOnceOptions = {}): Promise<RunResult> {
  const max = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
  return new Promise((resolve) => {
    let settled = false;
    let stdout = '';
    let stderr = '';
    let truncated = false;
    let timer: NodeJS.Timeout | undefined;
    const keep = (kept: string, chunk: string): string => {
      if (kept.length + chunk.length <= max) return kept + chunk;
      truncated = true;
      return kept + chunk.slice(0, Math.max(0, max - kept.length));
    };
    const settle = (result: RunResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const child = spawnGroup(command, args, options);
    const end = (kind: 'timed_out' | 'aborted'): void => {
      killGroup(child.pid, 'SIGKILL');
      settle({ kind, stdout, stderr, truncated });
    };
    const onAbort = (): void => end('aborted');
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout = keep(stdout, chunk)));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = keep(stderr, chunk)));
    child.once('error', (error: NodeJS.ErrnoException) => settle({ kind: 'spawn_failed', code: error.code ?? 'UNKNOWN', message: error.message }));
    child.once('close', (code, signal) => settle({ kind: 'exited', code, signal, stdout, stderr, truncated }));
    if (options.timeoutMs !== undefined) timer = setTimeout(() => end('timed_out'), options.timeoutMs);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort);
  });
}
