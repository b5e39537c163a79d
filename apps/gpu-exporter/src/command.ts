import { spawn } from 'node:child_process';

/** Process groups this process started and has not seen end: killed synchronously if it exits first. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/**
 * Remembers a child's process group so that it dies with this process even when the exit is abrupt (the one-second
 * deadline after SIGTERM, an uncaught error): a hung nvidia-smi must not outlive its exporter.
 */
export function trackGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  liveGroups.add(pid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const group of liveGroups) killGroup(group, 'SIGKILL');
    });
  }
}

/** Forgets a process group that has ended. */
export function untrackGroup(pid: number | undefined): void {
  if (pid !== undefined) liveGroups.delete(pid);
}

/** How a one-shot command ended. */
export type CommandResult =
  | { readonly kind: 'exited'; readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly stdout: string; readonly stderr: string }
  /** It could not be started: ENOENT (not installed), EACCES (not executable), ... */
  | { readonly kind: 'spawn_failed'; readonly code: string; readonly message: string }
  /** It ran past the timeout, or was aborted; its process group was killed. */
  | { readonly kind: 'timed_out'; readonly stdout: string; readonly stderr: string };

/** Largest output kept from a one-shot command (a --help-query-gpu is ~35 KB). */
const MAX_OUTPUT = 4 * 1024 * 1024;

/**
 * Runs `command args` once in its own process group, with a timeout (or an abort signal) after which the whole
 * group is killed, and returns how it ended. Never rejects.
 */
export function runCommand(command: string, args: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<CommandResult> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: CommandResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      untrackGroup(child.pid);
      resolve(result);
    };
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    trackGroup(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += chunk;
    });
    const stop = () => {
      killGroup(child.pid, 'SIGKILL');
      settle({ kind: 'timed_out', stdout, stderr });
    };
    const abort = () => stop();
    const timer = setTimeout(stop, timeoutMs);
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', abort);
    child.once('error', (error: NodeJS.ErrnoException) => settle({ kind: 'spawn_failed', code: error.code ?? 'UNKNOWN', message: error.message }));
    child.once('close', (code, signal) => {
      killGroup(child.pid, 'SIGKILL'); // anything it left behind in its group
      settle({ kind: 'exited', code, signal, stdout, stderr });
    });
  });
}

/** Sends `signal` to a process group; a group already gone is fine. */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
