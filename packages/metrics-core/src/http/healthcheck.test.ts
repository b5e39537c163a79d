import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { runHealthcheck } from './healthcheck.js';
import { startServer, type RunningServer } from './server.js';

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

describe('runHealthcheck', () => {
  it.each([
    [200, 0],
    [503, 1],
  ])('exits %d -> %d', async (status, code) => {
    running = await startServer(new Hono().get('/health', (c) => c.json({ status: 'x' }, status as 200)), { host: '0.0.0.0', port: 0 });
    const lines: string[] = [];
    expect(await runHealthcheck({ host: '0.0.0.0', port: running.port }, (l) => void lines.push(l))).toBe(code);
    expect(lines).toEqual([`http://127.0.0.1:${running.port}/health: ${status} {"status":"x"}\n`]);
  });

  it('exits 1 with the reason when nothing listens', async () => {
    running = await startServer(new Hono(), { host: '127.0.0.1', port: 0 });
    const port = running.port;
    await running.close();
    running = undefined;
    const lines: string[] = [];
    expect(await runHealthcheck({ host: '127.0.0.1', port }, (l) => void lines.push(l))).toBe(1);
    expect(lines[0]).toContain('ECONNREFUSED');
  });
});
