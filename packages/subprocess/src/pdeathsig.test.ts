import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { isRunning } from './groups.js';
import { findExecutable, parentDeathHelper, withParentDeathSignal } from './pdeathsig.js';

const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));


describe('withParentDeathSignal', () => {
  it('leaves a command that cannot be found alone, so that spawning it still fails with ENOENT', () => {
    expect(withParentDeathSignal('/nonexistent/nvidia-smi', ['-L'])).toEqual({ command: '/nonexistent/nvidia-smi', args: ['-L'] });
  });

  it('finds a command on PATH, and one given with a slash relative to cwd', () => {
    expect(findExecutable('node', `/nonexistent:${process.execPath.replace(/\/node$/, '')}`)).toBe(process.execPath);
    expect(findExecutable('./definitely-not-here', '/usr/bin', '/')).toBeUndefined();
  });

  it.runIf(parentDeathHelper() !== null)('wraps an existing command in setpriv --pdeathsig KILL', () => {
    expect(withParentDeathSignal('node', ['-v'])).toEqual({ command: parentDeathHelper(), args: ['--pdeathsig', 'KILL', '--', expect.stringMatching(/\/node$/), '-v'] });
  });

  it.runIf(process.platform === 'linux')('a child of a process killed by SIGKILL dies with it', async () => {
    if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build first (pnpm nx run @proj/subprocess:build)`);
    expect(parentDeathHelper()).not.toBeNull(); // util-linux is part of every supported image
    // A parent that starts a hanging child through spawnGroup, prints the child's pid, and waits.
    const script = `import { spawnGroup } from ${JSON.stringify(DIST)}; const c = spawnGroup(process.execPath, ['-e', 'setInterval(() => {}, 1000)']); c.once('spawn', () => process.stdout.write(c.pid + '\\n')); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const childPid = await new Promise<number>((resolve) => parent.stdout.setEncoding('utf8').once('data', (text: string) => resolve(Number(text.trim()))));
      expect(isRunning(childPid)).toBe(true);
      parent.kill('SIGKILL');
      await vi.waitFor(() => expect(isRunning(childPid)).toBe(false), { timeout: 5000 });
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
