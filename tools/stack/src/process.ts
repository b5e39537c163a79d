import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';

/** How a service process ended. */
export interface ServiceExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** What spawnService starts. */
export interface SpawnServiceOptions {
  /** Short name for messages: `victoria-metrics`, `cpu-exporter`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** The whole environment of the child (not merged with this process's). */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Standard output and error both go here. */
  readonly logFile: string;
  /** Called with each complete line the process writes (either stream), for readiness lines. */
  readonly onLine?: (line: string) => void;
}

/** A process running in its own process group, logging to a file. */
export interface Service {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves when the process exits, however that happens. */
  readonly exited: Promise<ServiceExit>;
  running(): boolean;
  /** The last `lines` lines of its log. */
  logTail(lines?: number): string;
  /**
   * SIGTERM to the whole process group, SIGKILL after `graceMs`, then SIGKILL to anything left in the group.
   * Safe to call twice and after the process died.
   */
  stop(graceMs?: number): Promise<ServiceExit>;
}

/** The command could not be started at all (ENOENT, EACCES). */
export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
  readonly service: string;
  readonly command: string;

  constructor(service: string, command: string, cause: unknown) {
    super(`cannot start ${service} (${command}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.service = service;
    this.command = command;
  }
}

// Process groups still running, killed synchronously if this process exits without stopping them (a test
// runner bailing out, an uncaught error): nothing is left behind.
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  });
}

function killGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

/** Process groups this module started and has not seen end; for tests asserting nothing is left behind. */
export function liveProcessGroups(): number[] {
  return [...liveGroups].filter((pgid) => killGroup(pgid, 0));
}

/** Starts a command in a new process group (detached), its output appended to `logFile`. */
export function spawnService(options: SpawnServiceOptions): Promise<Service> {
  installExitHook();
  const log = createWriteStream(options.logFile, { flags: 'a' });
  let child: ChildProcess;
  try {
    child = spawn(options.command, [...options.args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    log.end();
    return Promise.reject(new ServiceStartError(options.name, options.command, error));
  }

  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      log.end();
      reject(new ServiceStartError(options.name, options.command, error));
    });
    child.once('spawn', () => {
      const pid = child.pid!;
      liveGroups.add(pid);
      for (const stream of [child.stdout!, child.stderr!]) {
        let pending = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => {
          log.write(chunk);
          if (!options.onLine) return;
          pending += chunk;
          let newline: number;
          while ((newline = pending.indexOf('\n')) >= 0) {
            options.onLine(pending.slice(0, newline));
            pending = pending.slice(newline + 1);
          }
        });
      }
      const exited = new Promise<ServiceExit>((done) =>
        child.once('exit', (code, signal) => {
          // The leader is gone; the group may not be (a child of the service): stop() still sweeps it.
          if (!killGroup(pid, 0)) liveGroups.delete(pid);
          // Let the pipes drain into the log before anyone reads it.
          child.once('close', () => log.end());
          done({ code, signal });
        }),
      );
      let stopping: Promise<ServiceExit> | undefined;
      resolve({
        name: options.name,
        pid,
        logFile: options.logFile,
        exited,
        running: () => child.exitCode === null && child.signalCode === null,
        logTail(lines = 20) {
          try {
            return readFileSync(options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
          } catch {
            return '';
          }
        },
        stop(graceMs = 5_000) {
          return (stopping ??= (async () => {
            if (child.exitCode === null && child.signalCode === null) killGroup(pid, 'SIGTERM');
            let timer: NodeJS.Timeout | undefined;
            const result = await Promise.race([
              exited,
              new Promise<undefined>((done) => (timer = setTimeout(() => done(undefined), graceMs))),
            ]);
            clearTimeout(timer);
            killGroup(pid, 'SIGKILL');
            const exit = result ?? (await exited);
            liveGroups.delete(pid);
            return exit;
          })());
        },
      });
    });
  });
}
