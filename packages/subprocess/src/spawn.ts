import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { markEnv, startOrphanReaper } from './descendants.js';
import { signalGroup, trackGroup, untrackGroup } from './groups.js';
import { withParentDeathSignal } from './pdeathsig.js';

/** How spawnGroup starts a child. */
export interface SpawnGroupOptions {
  /** The whole environment of the child; this process's by default. */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Run as this user and group. */
  readonly uid?: number;
  readonly gid?: number;
  /** Standard input: ignored by default; `inherit` passes this process's. */
  readonly stdin?: 'ignore' | 'pipe' | 'inherit';
  /** Standard output and error: pipes by default; `inherit` writes straight to this process's (a command run for a user). */
  readonly output?: 'pipe' | 'inherit';
  /** Kill the child when this process dies, even by SIGKILL (Linux, setpriv). Default true. */
  readonly parentDeathSignal?: boolean;
}

/**
 * Starts `command args` as the leader of a new process group, tracked until it ends: when the leader exits, the
 * rest of its group is killed at once, and a group still alive when this process exits is killed then. Its
 * environment carries a mark of this process, so that what it started and moved out of the group (setsid) is
 * killed too when it is killed with killGroup(pid, 'SIGKILL') and when this process ends, however it ends.
 * Spawn errors arrive as the child's `error` event, as with node's spawn.
 */
export function spawnGroup(command: string, args: readonly string[], options: SpawnGroupOptions = {}): ChildProcess {
  const { env, mark } = markEnv(options.env ?? process.env);
  startOrphanReaper();
  const target = options.parentDeathSignal === false ? { command, args } : withParentDeathSignal(command, args, env, options.cwd);
  const output = options.output ?? 'pipe';
  const stdio: StdioOptions = [options.stdin ?? 'ignore', output, output];
  const child = spawn(target.command, [...target.args], {
    env,
    detached: true,
    stdio,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });
  const pgid = child.pid;
  trackGroup(pgid, mark);
  child.once('exit', () => {
    // 'exit', not 'close': a grandchild holding the pipes open would delay 'close' for as long as it lives. The
    // group only, no search for marked processes: that costs a /proc scan, and a one-shot child ends every few
    // seconds; what it left outside its group dies when this process ends.
    untrackGroup(pgid);
    signalGroup(pgid, 'SIGKILL');
  });
  return child;
}
