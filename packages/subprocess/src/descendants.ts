import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { findExecutable } from './pdeathsig.js';

// A process that calls setsid() leaves its parent's process group, so a group kill misses it, and the parent-death
// signal reaches only the direct child. What it keeps is its environment: every child spawned here carries a variable
// named after this process instance (pid and a random part, so no other instance, here or in another pid namespace,
// can own the same name) whose value numbers the child, and descendants inherit it unless they clear their
// environment. Killing "what a child started" is then: its group, and every process whose environment carries its
// mark. The scan reads /proc/<pid>/environ (same-uid processes, or all as root), so it runs only when a child is
// stopped or this process exits, never per tick.

let variable: string | undefined;
let nextChild = 1;

/** The name of the environment variable that marks the children of this process instance. */
export function markerVariable(): string {
  variable ??= `PROJ_SUBPROCESS_${process.pid}_${randomBytes(6).toString('hex')}`;
  return variable;
}

/** `env` plus a mark naming a new child of this process; returns the mark's value too. */
export function markEnv(env: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; mark: string } {
  const mark = String(nextChild++);
  return { env: { ...env, [markerVariable()]: mark }, mark };
}

/** The value of `name` in a NUL-separated environment block, or undefined. Pure. */
export function environValue(environ: Buffer, name: string): string | undefined {
  const key = Buffer.from(`${name}=`);
  for (let at = environ.indexOf(key); at !== -1; at = environ.indexOf(key, at + 1)) {
    if (at !== 0 && environ[at - 1] !== 0) continue; // the name inside another variable's value
    const end = environ.indexOf(0, at);
    return environ.toString('utf8', at + key.length, end === -1 ? environ.length : end);
  }
  return undefined;
}

/**
 * SIGKILLs every process (never this one) marked as a descendant of this process's child `mark`, or of any of its
 * children when `mark` is undefined; returns their pids. Synchronous, so it can run in an exit hook. A process
 * whose environment cannot be read (another user's, gone meanwhile) is skipped: without the mark, nothing is killed.
 * A marked process may fork while the scan runs, so the scan repeats while it finds any (three passes at most).
 */
export function killMarked(mark: string | undefined, procfsRoot = '/proc'): number[] {
  if (variable === undefined) return []; // no child was ever marked
  const killed: number[] = [];
  for (let pass = 0; pass < 3; pass++) {
    let found = 0;
    let entries: string[];
    try {
      entries = readdirSync(procfsRoot);
    } catch {
      return killed; // no procfs: nothing to find
    }
    for (const entry of entries) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      let environ: Buffer;
      try {
        environ = readFileSync(`${procfsRoot}/${entry}/environ`);
      } catch {
        continue; // EACCES, ESRCH: not ours to judge
      }
      const value = environValue(environ, variable);
      if (value === undefined || (mark !== undefined && value !== mark)) continue;
      try {
        process.kill(Number(entry), 'SIGKILL');
        if (!killed.includes(Number(entry))) killed.push(Number(entry));
        found++;
      } catch {
        // gone meanwhile
      }
    }
    if (found === 0) break;
  }
  return killed;
}

let reaperStarted = false;

// Waits for end of file on its standard input, which comes when this process dies however it dies (SIGKILL included:
// the kernel closes the pipe), then kills every process that carries the mark. `$1` is the variable's name.
const REAPER_SCRIPT = `read -r _
for pass in 1 2 3; do
  found=
  for f in $(grep -lzE "^$1=" /proc/[0-9]*/environ 2>/dev/null); do
    p=\${f#/proc/}; p=\${p%/environ}
    kill -9 "$p" 2>/dev/null && found=1
  done
  [ -n "$found" ] || break
done`;

/**
 * Starts, once per process, the reaper: a small `sh` (own process group, unmarked, not keeping this process alive)
 * that outlives this process just long enough to kill its marked descendants when it dies, SIGKILL included, which
 * no exit hook can see. Linux with `sh` and `grep` only; where they are missing (a distroless image, where the
 * exporter is the pid namespace's init and the kernel ends everything with it) nothing is started. Returns its pid.
 */
export function startOrphanReaper(): number | undefined {
  if (reaperStarted || process.platform !== 'linux') return undefined;
  reaperStarted = true;
  const sh = findExecutable('sh', process.env.PATH);
  const grep = findExecutable('grep', process.env.PATH);
  if (sh === undefined || grep === undefined) return undefined;
  const reaper = spawn(sh, ['-c', REAPER_SCRIPT, 'proj-subprocess-reaper', markerVariable()], {
    env: { PATH: grep.slice(0, grep.lastIndexOf('/')) + ':/usr/bin:/bin' },
    detached: true, // a terminal's Ctrl-C to this process's group must not end the reaper before it can work
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  reaper.on('error', () => {}); // could not start: SIGKILL of this process is left to the parent-death signal
  reaper.stdin!.on('error', () => {});
  // Neither the process nor the pipe keeps this process's event loop alive.
  reaper.unref();
  (reaper.stdin as unknown as { unref?: () => void }).unref?.();
  return reaper.pid;
}
