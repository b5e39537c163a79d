import { connect } from 'node:net';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { ListenError, startServer } from './server.js';

describe('startServer', () => {
  it('listens on a free port, serves, and closes', async () => {
    const app = new Hono().get('/', (c) => c.text('hi'));
    const running = await startServer(app, { host: '127.0.0.1', port: 0 });
    expect(running.port).toBeGreaterThan(0);
    expect(running.url).toBe(`http://127.0.0.1:${running.port}`);
    expect(await (await fetch(running.url)).text()).toBe('hi');
    await running.close();
    await expect(fetch(running.url)).rejects.toThrow();
  });

  it('closes with a keep-alive connection still open', async () => {
    const app = new Hono().get('/', (c) => c.text('hi'));
    const running = await startServer(app, { host: '127.0.0.1', port: 0 });
    await fetch(running.url, { keepalive: true });
    const started = Date.now();
    await running.close(200);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('fails with a ListenError that says why', async () => {
    const app = new Hono();
    const first = await startServer(app, { host: '127.0.0.1', port: 0 });
    const error = await startServer(app, { host: '127.0.0.1', port: first.port }).catch((e: unknown) => e);
    await first.close();
    expect(error).toBeInstanceOf(ListenError);
    expect((error as ListenError).code).toBe('EADDRINUSE');
    expect((error as ListenError).message).toBe(`cannot listen on 127.0.0.1:${first.port}: address already in use`);
  });
});

describe('startServer: requests plain Node serves', () => {
  /** Sends `raw` on a fresh socket and returns everything the server wrote until it closed. */
  const exchange = (port: number, raw: string) =>
    new Promise<string>((resolve, reject) => {
      let answer = '';
      const socket = connect(port, '127.0.0.1', () => socket.write(raw));
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (answer += chunk));
      socket.on('end', () => resolve(answer));
      socket.on('error', reject);
    });

  it('answers an HTTP/1.0 request without a Host header (the adaptor alone would say 400)', async () => {
    const app = new Hono().get('/health', (c) => c.text(`ok ${new URL(c.req.url).pathname}`));
    const running = await startServer(app, { host: '127.0.0.1', port: 0 });
    try {
      const answer = await exchange(running.port, 'GET /health HTTP/1.0\r\n\r\n');
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(answer).toMatch(/\r\n\r\nok \/health$/);
    } finally {
      await running.close();
    }
  });
});
