import type { ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { killGroup, liveProcessGroups, spawnGroup, untrackGroup } from '@proj/subprocess';
import { waitForUrl } from './wait.js';

export { liveProcessGroups };

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

/**
 * Starts a command in a new process group (@proj/subprocess: tracked, killed with this process even on SIGKILL), its
 * output appended to `logFile`.
 */
export function spawnService(options: SpawnServiceOptions): Promise<Service> {
  const log = createWriteStream(options.logFile, { flags: 'a' });
  let child: ChildProcess;
  try {
    child = spawnGroup(options.command, options.args, { env: options.env ?? process.env, ...(options.cwd === undefined ? {} : { cwd: options.cwd }) });
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
          // Resolve once the pipes have drained into the log and the log is written, so that whoever reads it on
          // exit (a "died before ready" error) sees the last words. A descendant holding a pipe open must not hold
          // the exit back: after 2 s the log is closed with what it has.
          let finished = false;
          const finish = () => {
            if (finished) return;
            finished = true;
            clearTimeout(timer);
            log.end(() => done({ code, signal }));
          };
          const timer = setTimeout(finish, 2_000);
          child.once('close', finish);
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
            untrackGroup(pid);
            return exit;
          })());
        },
      });
    });
  });
}

/** What startHttpService starts: a service, and where it says it is ready. */
export interface StartHttpServiceOptions extends SpawnServiceOptions {
  /** Its base URL, `http://host:port`. */
  readonly url: string;
  /** Polled under `url` until it answers 2xx: `/health`, `/-/ready`, `/metrics`. */
  readonly readyPath: string;
  readonly readyTimeoutMs: number;
}

/** A service that answered on its ready path. */
export interface RunningHttpService {
  readonly url: string;
  readonly service: Service;
  stop(): Promise<void>;
}

/**
 * Spawns a service (spawnService) and waits until `url` + `readyPath` answers 2xx; a service that dies or never
 * gets ready is stopped before the error is thrown, so a failed start leaves nothing running.
 */
export async function startHttpService(options: StartHttpServiceOptions): Promise<RunningHttpService> {
  const { url, readyPath, readyTimeoutMs, ...spawn } = options;
  const service = await spawnService(spawn);
  try {
    await waitForUrl(`${url}${readyPath}`, { service, timeoutMs: readyTimeoutMs });
  } catch (error) {
    await service.stop();
    throw error;
  }
  return { url, service, stop: async () => void (await service.stop()) };
}

/**
 * The environment of a VictoriaMetrics-family service configured through `-envflag.prefix=<prefix>`: this
 * process's, without any `<prefix>*` variable of this shell (which would leak in as flags), plus `flags`.
 */
export function envWithFlags(prefix: string, flags: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith(prefix))), ...flags };
}
