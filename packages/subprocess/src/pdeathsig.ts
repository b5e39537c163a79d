import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

let setpriv: string | null | undefined;

/**
 * The absolute path of a `setpriv` (util-linux) that accepts `--pdeathsig KILL`, or null (not Linux, not
 * installed, too old). Probed once per process: one short synchronous run.
 */
export function parentDeathHelper(): string | null {
  if (setpriv !== undefined) return setpriv;
  setpriv = null;
  if (process.platform !== 'linux') return setpriv;
  const path = findExecutable('setpriv', process.env.PATH);
  if (path === undefined) return setpriv;
  const probe = spawnSync(path, ['--pdeathsig', 'KILL', '--', process.execPath, '-e', ''], { stdio: 'ignore', timeout: 5000 });
  if (probe.status === 0) setpriv = path;
  return setpriv;
}

/** Where `command` would be run from: itself when it holds a slash (relative to `cwd`), else the first match on `path`. */
export function findExecutable(command: string, path: string | undefined, cwd: string = process.cwd()): string | undefined {
  const candidates = command.includes('/') ? [isAbsolute(command) ? command : resolve(cwd, command)] : (path ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Rewrites `command args` to run under `setpriv --pdeathsig KILL`, so the child is killed by the kernel when this
 * process dies, even by SIGKILL. Left as it is when setpriv is not usable, or when the command cannot be found (so
 * that spawning it still fails with ENOENT or EACCES rather than with setpriv's exit status).
 */
export function withParentDeathSignal(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  cwd?: string,
): { command: string; args: readonly string[] } {
  const helper = parentDeathHelper();
  if (helper === null) return { command, args };
  const resolved = findExecutable(command, env.PATH ?? process.env.PATH, cwd);
  if (resolved === undefined) return { command, args };
  return { command: helper, args: ['--pdeathsig', 'KILL', '--', resolved, ...args] };
}
