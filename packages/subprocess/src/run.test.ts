import { describe, expect, it, vi } from 'vitest';
import { isRunning, liveProcessGroups } from './groups.js';
import { runOnce, type RunOnceOptions } from './run.js';

describe('runOnce', () => {
  it('returns what the command wrote and how it exited', async () => {
    const result = await runOnce(process.execPath, ['-e', "process.stdout.write('out'); process.stderr.write('err'); process.exit(3)"]);
    expect(result).toEqual({ kind: 'exited', code: 3, signal: null, stdout: 'out', stderr: 'err', truncated: false });
  });

  it('reports a command that cannot be started, without rejecting', async () => {
    const result = await runOnce('/nonexistent/nvidia-smi', []);
    expect(result).toMatchObject({ kind: 'spawn_failed', code: 'ENOENT' });
  });

  it('kills the whole group on timeout, grandchildren included', async () => {
    // The child starts a grandchild that ignores SIGTERM, prints its pid, and hangs.
    const script = "const c = require('child_process').spawn(process.execPath, ['-e', 'process.on(\"SIGTERM\", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' }); process.stdout.write(c.pid + '\\n'); setInterval(() => {}, 1000);";
    const result = await runOnce(process.execPath, ['-e', script], { timeoutMs: 3000 });
    expect(result.kind).toBe('timed_out');
    const grandchild = Number((result as { stdout: string }).stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    await vi.waitFor(() => expect(isRunning(grandchild)).toBe(false), { timeout: 5000 });
    await vi.waitFor(() => expect(liveProcessGroups()).toEqual([]), { timeout: 5000 });
  });

  it('kills the group when aborted', async () => {
    const controller = new AbortController();
    const running = runOnce(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { signal: controller.signal });
    controller.abort();
    expect((await running).kind).toBe('aborted');
  });

  it('keeps at most maxOutputBytes of each stream and says it cut', async () => {
    const result = await runOnce(process.execPath, ['-e', "process.stdout.write('x'.repeat(100000))"], { maxOutputBytes: 1000 });
    expect(result).toMatchObject({ kind: 'exited', code: 0, truncated: true });
    expect((result as { stdout: string }).stdout).toBe('x'.repeat(1000));
  });
});

// runOnce captures output: spawnGroup's `output: 'inherit'` (no pipes to read) is refused by the type checker
// (`typecheck` fails here if RunOnceOptions accepts it again).
// @ts-expect-error output is not a runOnce option
export const inheritedOutput: RunOnceOptions = { output: 'inherit' };
