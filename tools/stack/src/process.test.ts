import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRunning } from '@proj/subprocess';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './ports.js';
import { envWithFlags, liveProcessGroups, ServiceStartError, spawnService, startHttpService } from './process.js';
import { WaitTimeoutError } from './wait.js';

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

describe('startHttpService', () => {
  it('resolves once the ready path answers 2xx, and stop ends the service', async () => {
    const port = await freePort();
    // 503 on /ready for the first two requests, then 200: the wait goes on past a non-2xx answer.
    const server = `let n = 0; require('node:http').createServer((q, r) => { r.statusCode = q.url === '/ready' && ++n > 2 ? 200 : 503; r.end('x'); }).listen(${port}, '127.0.0.1')`;
    const running = await startHttpService({
      name: 'http',
      command: process.execPath,
      args: ['-e', server],
      logFile: join(dir, 'http.log'),
      url: `http://127.0.0.1:${port}`,
      readyPath: '/ready',
      readyTimeoutMs: 10_000,
    });
    expect(running.url).toBe(`http://127.0.0.1:${port}`);
    expect((await fetch(`${running.url}/ready`)).status).toBe(200);
    expect(running.service.running()).toBe(true);
    await running.stop();
    expect(running.service.running()).toBe(false);
    expect(liveProcessGroups()).not.toContain(running.service.pid);
  });

  it('rejects with the log when the service dies before it is ready, leaving its group stopped', async () => {
    const port = await freePort();
    const started = startHttpService({
      name: 'dies',
      command: 'sh',
      args: ['-c', 'echo bad flag; exit 3'],
      logFile: join(dir, 'dies.log'),
      url: `http://127.0.0.1:${port}`,
      readyPath: '/health',
      readyTimeoutMs: 10_000,
    });
    await expect(started).rejects.toBeInstanceOf(WaitTimeoutError);
    await expect(started).rejects.toThrow(/dies exited \(code 3[^]*bad flag/);
    expect(liveProcessGroups().length).toBe(0);
  });
});

describe('envWithFlags', () => {
  it("keeps this process's environment, drops the shell's prefixed variables and adds the file's", () => {
    process.env.VMTEST_leaked = 'from the shell';
    try {
      const env = envWithFlags('VMTEST_', { VMTEST_kept: '1' });
      expect(env.VMTEST_leaked).toBeUndefined();
      expect(env.VMTEST_kept).toBe('1');
      expect(env.PATH).toBe(process.env.PATH);
    } finally {
      delete process.env.VMTEST_leaked;
    }
  });
});
