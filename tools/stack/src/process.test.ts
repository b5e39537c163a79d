import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunning } from '@proj/subprocess';
import { afterAll, describe, expect, it } from 'vitest';
import { liveProcessGroups, ServiceStartError, spawnService } from './process.js';

const dir = mkdtempSync(join(tmpdir(), 'stack-process-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe('spawnService', () => {
  it('logs, reports lines, and stops the whole process group, grandchildren included', async () => {
    const lines: string[] = [];
    // A shell that starts a grandchild ignoring SIGTERM, prints its pid, and waits.
    const service = await spawnService({
      name: 'sh',
      command: 'sh',
      args: ['-c', "sh -c 'trap \"\" TERM; sleep 60' & echo child=$!; echo ready; wait"],
      logFile: join(dir, 'sh.log'),
      onLine: (line) => lines.push(line),
    });
    await expect.poll(() => lines.includes('ready')).toBe(true);
    const child = Number(lines.find((l) => l.startsWith('child='))!.slice('child='.length));
    expect(isRunning(child)).toBe(true);
    expect(liveProcessGroups()).toContain(service.pid);
    const exit = await service.stop(300);
    expect(exit.signal).toBe('SIGTERM');
    await expect.poll(() => isRunning(child)).toBe(false);
    expect(liveProcessGroups()).not.toContain(service.pid);
    expect(readFileSync(join(dir, 'sh.log'), 'utf8')).toContain('ready');
    expect(service.running()).toBe(false);
  });

  it('rejects a command that does not exist', async () => {
    await expect(spawnService({ name: 'nope', command: join(dir, 'no-such-binary'), args: [], logFile: join(dir, 'nope.log') })).rejects.toBeInstanceOf(ServiceStartError);
  });
});
