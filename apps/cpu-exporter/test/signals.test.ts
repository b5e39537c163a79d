// Faults found by poking the built exporter from outside: SIGUSR1 (which opens Node's inspector unless a listener
// is installed) and an energy_uj that is a FIFO (which a blocking open or read would hang on for ever).
import { launchNodeServer, runCommand, until, type SpawnedServer } from '@proj/fixtures';
import { rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENTRY, useHarness } from './harness.js';

const { tree, start, defer } = useHarness();

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** 'open' when something accepts a TCP connection on the port, else the error code. */
const probe = (port: number) =>
  new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve('open');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });

const health = async (server: SpawnedServer) => {
  const res = await fetch(`${server.url}/health`);
  return { status: res.status, body: (await res.json()) as { status: string; reasons: string[] } };
};

describe('SIGUSR1', () => {
  it('does not open the inspector: it is logged, the inspector port stays closed and the exporter keeps serving', async () => {
    // Point the inspector at a port of our choosing, so the test looks exactly where it would open.
    const inspectorPort = await freePort();
    const t = tree('amd-epyc-7401p');
    const server = await launchNodeServer(ENTRY, ['--port', '0', '--host', '127.0.0.1', '--sysfs-root', t.root], {
      env: { NODE_OPTIONS: `--inspect-port=127.0.0.1:${inspectorPort}` },
    });
    defer(() => server.stop('SIGKILL'));
    process.kill(server.child.pid!, 'SIGUSR1');
    await until(() => server.stderr().includes('SIGUSR1 ignored'));
    expect(server.stderr()).not.toContain('Debugger listening');
    expect(await probe(inspectorPort)).toBe('ECONNREFUSED');
    expect((await health(server)).status).toBe(200);
    expect(server.child.exitCode).toBeNull();
  });
});

describe('HTTP/1.0 without a Host header', () => {
  it('gets /health and /metrics answered, as from a plain Node server (the adaptor alone said 400)', async () => {
    const server = await start(tree('amd-epyc-7401p'));
    const port = Number(new URL(server.url).port);
    for (const path of ['/health', '/metrics']) {
      const answer = await new Promise<string>((resolve, reject) => {
        let text = '';
        const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.0\r\n\r\n`));
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (text += chunk));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    }
  });
});

describe('an energy_uj that is a FIFO', () => {
  it('blocks nothing: /health and /metrics answer, the zone is named unreadable, and SIGTERM stops it cleanly', async () => {
    const t = tree('amd-epyc-7401p');
    const file = join(t.zoneDir('intel-rapl:0'), 'energy_uj');
    rmSync(file);
    expect((await runCommand(['mkfifo', file])).code).toBe(0);
    const server = await start(t, '--interval', '200ms');

    const first = await health(server);
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('degraded');
    expect(first.body.reasons.join(' ')).toContain('intel-rapl:0');
    // Ticks keep coming: the sampler is not stuck behind the FIFO.
    const ticks = async () => Number(/^cpu_exporter_sampler_ticks_total (\d+)/m.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1]);
    const before = await ticks();
    await until(async () => (await ticks()) >= before + 2);
    // 0: the graceful stop finished within its 900 ms deadline (past it, the exporter says so and ends by SIGKILL).
    expect((await server.stop('SIGTERM')).code).toBe(0);
  });
});
