import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { killGroup } from './groups.js';
import { spawnGroup, type SpawnGroupOptions } from './spawn.js';

/** How a supervised child ended. */
export interface ChildExit {
  /** Exit code, or null when a signal ended it or it never started. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** `exited` on its own, `stalled` (killed: no progress in time), `stopped` (by stop()), `spawn_failed`. */
  readonly reason: 'exited' | 'stalled' | 'stopped' | 'spawn_failed';
  /** The errno code when it could not be started (ENOENT, EACCES). */
  readonly spawnError?: string;
  /** The end of what it wrote to standard error, for the log. */
  readonly stderrTail: string;
  /** Whether it made progress (see Supervisor.progress) before it ended. */
  readonly madeProgress: boolean;
}

/** What to do after a child ended. */
export type AfterExit = 'restart' | 'stop';

/** Options for createSupervisor. */
export interface SupervisorOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** Environment, working directory, ... of each child. Its output is read (onStdout, stderrTail): no `output`. */
  readonly spawn?: Omit<SpawnGroupOptions, 'output'>;
  /** A new child started: reset whatever parses its output. */
  readonly onStart: () => void;
  readonly onStdout: (chunk: Buffer) => void;
  /** The child ended; say whether to restart it (after backoff) or stop. */
  readonly onExit: (exit: ChildExit) => AfterExit;
  /** Kill the child when it made no progress for this long (it hangs). */
  readonly stallAfterMs: number;
  /** ... or, before its first progress, for this long (a cold driver can take seconds to answer). */
  readonly startupGraceMs: number;
  /** First restart delay; doubles after each child that made no progress, up to backoffMaxMs. */
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  readonly now?: () => number;
}

/** Keeps one long-lived child running. */
export interface Supervisor {
  start(): void;
  /** The owner saw useful output (a complete batch): the child is alive and well. */
  progress(): void;
  /** Kills the child's process group and stops restarting; resolves when it has exited. */
  stop(): Promise<void>;
  /** The running child's pid, if any. */
  pid(): number | undefined;
  /** How long until the next restart, when one is pending. */
  nextRestartInMs(): number | undefined;
}

const STDERR_TAIL = 2000;

/**
 * Supervises one long-lived child in its own process group (spawnGroup): restarts it with exponential backoff when
 * it exits, and kills the whole group when it stops making progress (a hung program), so nothing is left behind.
 */
export function createSupervisor(options: SupervisorOptions): Supervisor {
  const now = options.now ?? (() => performance.now());
  const backoffInitialMs = options.backoffInitialMs ?? 1000;
  const backoffMaxMs = options.backoffMaxMs ?? 30_000;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stopped = true;
  let backoffMs = backoffInitialMs;
  let restartTimer: NodeJS.Timeout | undefined;
  let restartAtMs: number | undefined;
  let watchdog: NodeJS.Timeout | undefined;
  let startedAtMs = 0;
  let lastProgressAtMs: number | undefined;
  let killedForStall = false;

  const spawnChild = (): void => {
    restartTimer = undefined;
    restartAtMs = undefined;
    if (stopped) return;
    options.onStart();
    startedAtMs = now();
    lastProgressAtMs = undefined;
    killedForStall = false;
    let stderrTail = '';
    let spawnError: string | undefined;
    const proc = spawnGroup(options.command, options.args, options.spawn);
    child = proc;
    proc.stdout!.on('data', (chunk: Buffer) => options.onStdout(chunk));
    proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL);
    });
    exited = new Promise<void>((resolve) => {
      let done = false;
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (done) return;
        done = true;
        if (child === proc) child = undefined;
        const reason: ChildExit['reason'] = spawnError ? 'spawn_failed' : stopped ? 'stopped' : killedForStall ? 'stalled' : 'exited';
        const exit: ChildExit = {
          code,
          signal,
          reason,
          ...(spawnError ? { spawnError } : {}),
          stderrTail: stderrTail.trim(),
          madeProgress: lastProgressAtMs !== undefined,
        };
        resolve();
        if (reason === 'stopped') return;
        const after = options.onExit(exit);
        if (after === 'stop' || stopped) return;
        // A child that worked for a while restarts soon; one that keeps failing waits longer each time.
        if (exit.madeProgress) backoffMs = backoffInitialMs;
        const delayMs = backoffMs;
        backoffMs = Math.min(backoffMs * 2, backoffMaxMs);
        restartAtMs = now() + delayMs;
        restartTimer = setTimeout(spawnChild, delayMs);
      };
      proc.once('error', (error: NodeJS.ErrnoException) => {
        spawnError = error.code ?? 'UNKNOWN';
        // A failed spawn emits no exit; a child that did start may emit both.
        if (proc.pid === undefined) finish(null, null);
      });
      proc.once('close', finish);
    });
  };

  const checkStall = (): void => {
    if (!child || killedForStall) return;
    const silentForMs = now() - (lastProgressAtMs ?? startedAtMs);
    const limitMs = lastProgressAtMs === undefined ? options.startupGraceMs : options.stallAfterMs;
    if (silentForMs > limitMs) {
      killedForStall = true;
      killGroup(child.pid, 'SIGKILL');
    }
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      backoffMs = backoffInitialMs;
      watchdog = setInterval(checkStall, Math.max(50, Math.min(1000, options.stallAfterMs / 4)));
      watchdog.unref();
      spawnChild();
    },
    progress() {
      lastProgressAtMs = now();
    },
    async stop() {
      stopped = true;
      clearInterval(watchdog);
      clearTimeout(restartTimer);
      restartTimer = undefined;
      restartAtMs = undefined;
      if (child) killGroup(child.pid, 'SIGKILL');
      await exited;
    },
    pid: () => child?.pid,
    nextRestartInMs: () => (restartAtMs === undefined ? undefined : Math.max(0, restartAtMs - now())),
  };
}
