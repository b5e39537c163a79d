import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSupervisor, type ChildExit, type Supervisor, type SupervisorOptions } from './supervisor.js';

/** Polls until `check` holds (20 s at most by default). */
const until = (check: () => boolean, timeout = 20_000) => vi.waitFor(() => expect(check()).toBe(true), { timeout, interval: 20 });

const supervisors: Supervisor[] = [];
afterEach(async () => {
  while (supervisors.length > 0) await supervisors.pop()!.stop();
});

/** `node -e <script>` under supervision, recording what happens. */
function supervise(script: string, options: { stallAfterMs?: number; startupGraceMs?: number; after?: (exit: ChildExit) => 'restart' | 'stop' } = {}) {
  const starts: number[] = [];
  const exits: ChildExit[] = [];
  const out: string[] = [];
  const t0 = Date.now();
  const supervisor = createSupervisor({
    command: process.execPath,
    args: ['-e', script],
    stallAfterMs: options.stallAfterMs ?? 10_000,
    startupGraceMs: options.startupGraceMs ?? 10_000,
    backoffInitialMs: 100,
    backoffMaxMs: 400,
    onStart: () => void starts.push(Date.now() - t0),
    onStdout: (chunk) => {
      out.push(chunk.toString());
      supervisor.progress();
    },
    onExit: (exit) => {
      exits.push(exit);
      return options.after?.(exit) ?? 'restart';
    },
  });
  supervisors.push(supervisor);
  return { supervisor, starts, exits, out };
}

/** Processes whose command line contains `marker`. */
const processesWith = (marker: string): number =>
  execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(marker) && !line.includes('ps -eo')).length;

describe('createSupervisor', () => {
  it('restarts a crashing child with growing backoff, and says how it exited', async () => {
    const { supervisor, starts, exits } = supervise('process.exit(3)');
    supervisor.start();
    await until(() => starts.length >= 4);
    await supervisor.stop();
    expect(exits.slice(0, 3).map((e) => [e.reason, e.code, e.madeProgress])).toEqual([
      ['exited', 3, false],
      ['exited', 3, false],
      ['exited', 3, false],
    ]);
    const gaps = starts.slice(1).map((at, i) => at - starts[i]!);
    // 100 ms, 200 ms, 400 ms (+ the time node takes to start and exit)
    expect(gaps[0]).toBeGreaterThanOrEqual(100);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
    expect(gaps[2]).toBeGreaterThanOrEqual(400);
  });

  it('kills the whole process group of a child that stops making progress, and restarts it', async () => {
    const marker = `stall-marker-${process.pid}-${Date.now()}`;
    // The child starts a grandchild in its own group, prints once, then hangs.
    const script = `require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '${marker}'], { stdio: 'ignore' }); console.log('batch'); setInterval(() => {}, 1000);`;
    const { supervisor, exits } = supervise(script, { stallAfterMs: 300 });
    supervisor.start();
    await until(() => exits.length >= 1);
    expect(exits[0]).toMatchObject({ reason: 'stalled', signal: 'SIGKILL', madeProgress: true });
    await supervisor.stop();
    await until(() => processesWith(marker) === 0, 3000);
  });

  it('kills a child that never says anything after the startup grace', async () => {
    const { supervisor, exits } = supervise('setInterval(() => {}, 1000)', { startupGraceMs: 200, after: () => 'stop' });
    supervisor.start();
    await until(() => exits.length >= 1);
    expect(exits[0]).toMatchObject({ reason: 'stalled', madeProgress: false });
    expect(supervisor.pid()).toBeUndefined();
  });

  it('reports a command that cannot be started', async () => {
    const exits: ChildExit[] = [];
    const supervisor = createSupervisor({
      command: '/nonexistent/nvidia-smi',
      args: [],
      stallAfterMs: 1000,
      startupGraceMs: 1000,
      onStart: () => {},
      onStdout: () => {},
      onExit: (exit) => {
        exits.push(exit);
        return 'stop';
      },
    });
    supervisors.push(supervisor);
    supervisor.start();
    await until(() => exits.length === 1);
    expect(exits[0]).toMatchObject({ reason: 'spawn_failed', spawnError: 'ENOENT' });
  });

  it('stops: kills the child and restarts nothing', async () => {
    const { supervisor, starts, exits } = supervise("setInterval(() => console.log('tick'), 50)");
    supervisor.start();
    await until(() => starts.length === 1 && supervisor.pid() !== undefined);
    await supervisor.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(starts).toHaveLength(1);
    expect(exits).toEqual([]);
    expect(supervisor.pid()).toBeUndefined();
  });
});

// The supervisor reads the child's output (progress, stderr tail): `output: 'inherit'` (no pipes) is refused by the
// type checker (`typecheck` fails here if SupervisorOptions accepts it again).
// @ts-expect-error output is not among a supervised child's spawn options
export const inheritedOutput: SupervisorOptions['spawn'] = { output: 'inherit' };
