import { readFileSync } from 'node:fs';
import { killMarked } from './descendants.js';

// Process groups this process started and has not seen end, each with the mark its leader's environment carries
// (descendants.ts). Each child runs in a group of its own (detached), so one signal reaches whatever it forked; the
// groups still alive when this process exits are killed synchronously, and so is every marked process that left
// its group (setsid).
const liveGroups = new Map<number, string | undefined>();
let exitHookInstalled = false;

/**
 * Sends `signal` to process group `pgid` (0 only asks whether it exists); false when the group is gone. SIGKILL of
 * a group started here whose leader runs also kills the processes it started that left the group (setsid).
 */
export function killGroup(pgid: number | undefined, signal: NodeJS.Signals | 0): boolean {
  const sent = signalGroup(pgid, signal);
  const mark = pgid === undefined ? undefined : liveGroups.get(pgid);
  if (signal === 'SIGKILL' && mark !== undefined) killMarked(mark);
  return sent;
}

/** killGroup without the search for processes that left the group. */
export function signalGroup(pgid: number | undefined, signal: NodeJS.Signals | 0): boolean {
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
export function trackGroup(pgid: number | undefined, mark?: string): void {
  if (pgid === undefined) return;
  liveGroups.set(pgid, mark);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const group of liveGroups.keys()) signalGroup(group, 'SIGKILL');
    killMarked(undefined); // one scan for all: whatever any child started, in a group or not
  });
}

/** Forgets a group whose leader has ended. */
export function untrackGroup(pgid: number | undefined): void {
  if (pgid !== undefined) liveGroups.delete(pgid);
}

/** The tracked groups that still have a process; for tests asserting that nothing is left behind. */
export function liveProcessGroups(): number[] {
  return [...liveGroups.keys()].filter((pgid) => signalGroup(pgid, 0));
}

/** True while process `pid` runs; a zombie (ended, not yet reaped by whoever adopted it) is not running. Linux. */
export function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
