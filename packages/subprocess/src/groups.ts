import { readFileSync } from 'node:fs';

// Process groups this process started and has not seen end. Each child runs in a group of its own (detached), so
// one signal reaches whatever it forked; the groups still alive when this process exits are killed synchronously.
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** Sends `signal` to process group `pgid` (0 only asks whether it exists); false when the group is gone. */
export function killGroup(pgid: number | undefined, signal: NodeJS.Signals | 0): boolean {
  if (pgid === undefined) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

/**
 * Remembers a group so that it dies with this process even when the exit is abrupt (a deadline after SIGTERM, an
 * uncaught error, a test runner bailing out). SIGKILL of this process is covered by the parent-death signal instead.
 */
export function trackGroup(pgid: number | undefined): void {
  if (pgid === undefined) return;
  liveGroups.add(pgid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const group of liveGroups) killGroup(group, 'SIGKILL');
  });
}

/** Forgets a group that has ended. */
export function untrackGroup(pgid: number | undefined): void {
  if (pgid !== undefined) liveGroups.delete(pgid);
}

/** The tracked groups that still have a process; for tests asserting that nothing is left behind. */
export function liveProcessGroups(): number[] {
  return [...liveGroups].filter((pgid) => killGroup(pgid, 0));
}

/** True while process `pid` runs; a zombie (ended, not yet reaped by whoever adopted it) is not running. Linux. */
export function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
