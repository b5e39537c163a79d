import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { environValue, markerVariable } from './descendants.js';
import { isRunning, killGroup } from './groups.js';
import { spawnGroup } from './spawn.js';
import { createSupervisor } from './supervisor.js';

const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));

// A shell that starts a grandchild in a session of its own (setsid: out of the process group, out of the session),
// prints the grandchild's pid, and hangs. Only the environment links the grandchild to us.
const FORKS_SETSID = 'setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $!; exec sleep 300';

/** The session of process `pid`, or undefined when it is gone. */
function sessionOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]); // state ppid pgrp session
  } catch {
    return undefined;
  }
}

/** The first line `child` writes, as a pid. */
const firstPid = (child: ChildProcess): Promise<number> =>
  new Promise((resolve) => child.stdout!.setEncoding('utf8').once('data', (text: string) => resolve(Number(text.trim().split('\n')[0]))));

/** Waits until `pid` has left for a session of its own (setsid ran, sleep may not have been exec'd yet). */
const detached = (pid: number) => vi.waitFor(() => expect(sessionOf(pid)).toBe(pid), { timeout: 10_000, interval: 20 });

const gone = (pid: number) => vi.waitFor(() => expect(isRunning(pid)).toBe(false), { timeout: 10_000, interval: 20 });

const strays: number[] = [];
afterEach(() => {
  for (const pid of strays.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
});

/** An unmarked process with the same command line, and one whose environment names the mark inside another value. */
function decoys(): number[] {
  const plain = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  const lookalike = spawn('sleep', ['300'], { detached: true, stdio: 'ignore', env: { ...process.env, DECOY: `${markerVariable()}=1` } });
  const pids = [plain.pid!, lookalike.pid!];
  strays.push(...pids);
  return pids;
}

describe('environValue', () => {
  it('finds a variable at the start, in the middle and at the end, and not inside another value', () => {
    const block = Buffer.from('A=1\0XB=2\0B=3\0C=B=4\0D=\0E=5');
    expect(environValue(block, 'A')).toBe('1');
    expect(environValue(block, 'B')).toBe('3');
    expect(environValue(block, 'D')).toBe('');
    expect(environValue(block, 'E')).toBe('5');
    expect(environValue(block, 'X')).toBeUndefined();
    expect(environValue(Buffer.from('C=B=4\0'), 'B')).toBeUndefined();
  });

  it('reads back any variable of any environment block', () => {
    const name = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,8}$/);
    const value = fc.string({ maxLength: 12 }).filter((v) => !v.includes('\0'));
    fc.assert(
      fc.property(fc.dictionary(name, value, { minKeys: 1 }), fc.nat(), (env, pick) => {
        const names = Object.keys(env);
        const block = Buffer.from(names.map((n) => `${n}=${env[n]}\0`).join(''));
        const chosen = names[pick % names.length]!;
        expect(environValue(block, chosen)).toBe(env[chosen]);
      }),
    );
  });
});

describe.runIf(process.platform === 'linux')('a grandchild that leaves the process group (setsid)', () => {
  it('dies when its group is killed with killGroup, and an unmarked process with the same command line lives on', async () => {
    const [plain, lookalike] = decoys();
    const child = spawnGroup('sh', ['-c', FORKS_SETSID]);
    child.stderr!.resume();
    const grandchild = await firstPid(child);
    strays.push(grandchild);
    await detached(grandchild);
    killGroup(child.pid, 'SIGKILL');
    await gone(grandchild);
    expect(isRunning(plain!)).toBe(true);
    expect(isRunning(lookalike!)).toBe(true);
  }, 30_000);

  it("dies when a supervisor stops its child, and another child's grandchild lives on until its own stop", async () => {
    const started = (onFirst: (pid: number) => void) => {
      let seen = false;
      const supervisor = createSupervisor({
        command: 'sh',
        args: ['-c', FORKS_SETSID],
        stallAfterMs: 600_000,
        startupGraceMs: 600_000,
        onStart: () => {},
        onStdout: (chunk) => {
          if (seen) return;
          seen = true;
          onFirst(Number(chunk.toString().trim()));
        },
        onExit: () => 'stop',
      });
      return supervisor;
    };
    const pids: number[] = [];
    const first = started((pid) => pids.push(pid));
    const second = started((pid) => pids.push(pid));
    try {
      first.start();
      await vi.waitFor(() => expect(pids).toHaveLength(1), { timeout: 10_000 });
      second.start();
      await vi.waitFor(() => expect(pids).toHaveLength(2), { timeout: 10_000 });
      strays.push(...pids);
      await detached(pids[0]!);
      await detached(pids[1]!);
      await first.stop();
      await gone(pids[0]!);
      expect(isRunning(pids[1]!)).toBe(true);
    } finally {
      await first.stop();
      await second.stop();
    }
    await gone(pids[1]!);
  }, 30_000);

  /** A node process that starts FORKS_SETSID through spawnGroup, prints the grandchild's pid once it left, and then does `then`. */
  function owner(then: 'exit' | 'wait'): { process: ChildProcess; grandchild: Promise<number> } {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build first (pnpm nx run @proj/subprocess:build)`);
    const script = `import { spawnGroup } from ${JSON.stringify(DIST)};
      import { readFileSync } from 'node:fs';
      const c = spawnGroup('sh', ['-c', ${JSON.stringify(FORKS_SETSID)}]);
      c.stdout.setEncoding('utf8').once('data', (text) => {
        const pid = Number(text.trim());
        const left = () => { try { const s = readFileSync('/proc/' + pid + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[3]) === pid; } catch { return false; } };
        const poll = setInterval(() => {
          if (!left()) return;
          clearInterval(poll);
          process.stdout.write(pid + '\\n');
          ${then === 'exit' ? 'process.exit(0);' : ''}
        }, 20);
      });
      ${then === 'wait' ? 'setInterval(() => {}, 1000);' : ''}`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    strays.push(parent.pid!);
    return { process: parent, grandchild: firstPid(parent) };
  }

  it('dies when the process that started the child exits normally; unmarked ones live on', async () => {
    const [plain, lookalike] = decoys();
    const { process: parent, grandchild } = owner('exit');
    const pid = await grandchild;
    strays.push(pid);
    const code = await new Promise((resolve) => (parent.exitCode === null ? parent.once('exit', resolve) : resolve(parent.exitCode)));
    expect(code).toBe(0);
    await gone(pid);
    expect(isRunning(plain!)).toBe(true);
    expect(isRunning(lookalike!)).toBe(true);
  }, 30_000);

  it('dies when the process that started the child is killed with SIGKILL (the reaper)', async () => {
    const { process: parent, grandchild } = owner('wait');
    const pid = await grandchild;
    strays.push(pid);
    expect(isRunning(pid)).toBe(true);
    parent.kill('SIGKILL');
    await gone(pid);
  }, 30_000);
});
