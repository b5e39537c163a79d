// Start-up: the port opens before nvidia-smi has answered (here it never does), /metrics serves what the exporter
// has (its _info and process metrics) and /health says `starting` until the first sample; the `listening` line
// still waits for that sample. How fast it listens is measured by the benchmark, never asserted here.
import { launchNodeServer, until, type SpawnedServer } from '@proj/fixtures';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ENTRY, privateFake, useHarness } from './harness.js';

const { defer } = useHarness();

/** A port nothing listens on now (the exporter must be told its port: it announces it only after the first sample). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('gpu_exporter start-up while nvidia-smi hangs', () => {
  it('listens before the first sample: /metrics serves what it has, /health says starting, then the sample comes', async () => {
    const fake = privateFake();
    defer(() => fake.remove());
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let announced: SpawnedServer | undefined;
    const launching = launchNodeServer(ENTRY, ['--port', String(port), '--host', '127.0.0.1', '--nvidia-smi', fake.path], {
      env: { FAKE_NVIDIA_SMI_FAIL: 'hang' },
      timeoutMs: 60_000,
    }).then((server) => {
      announced = server;
      defer(() => server.stop('SIGKILL'));
      return server;
    });

    // The first answer the port gives, polled from the moment the process starts.
    let health: { status: number; body: { status: string } } | undefined;
    await until(async () => {
      try {
        const res = await fetch(`${url}/health`);
        health = { status: res.status, body: (await res.json()) as { status: string } };
        return true;
      } catch {
        return false;
      }
    }, 60_000);
    expect(announced).toBeUndefined(); // answered before the first sample was announced
    expect(health).toMatchObject({ status: 200, body: { status: 'starting' } });
    const early = await fetch(`${url}/metrics`);
    expect(early.status).toBe(200);
    const earlyBody = await early.text();
    expect(earlyBody).toMatch(/^gpu_exporter_info\{version="[^"]+",language="typescript",runtime="node-[^"]+"\} 1$/m);
    expect(earlyBody).toMatch(/^gpu_exporter_sampler_ticks_total 0$/m);

    // Then the first sample is taken anyway (nvidia-smi is given up on) and the exporter says what it found.
    const server = await launching;
    expect(server.url).toBe(url);
    const after = (await (await fetch(`${url}/health`)).json()) as { status: string };
    expect(after.status).not.toBe('starting');
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^gpu_exporter_sampler_ticks_total [1-9]\d*$/m);
  }, 90_000);
});
