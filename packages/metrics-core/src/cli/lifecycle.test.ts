// runExporter's signal handling, in a process of its own (signals and exits cannot be tried inside the test runner).
import { launchServer, type SpawnedServer } from '@proj/fixtures';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

/** A process running runExporter over a do-nothing app whose close() takes `closeMs` (or never ends: -1). */
function exporterScript(closeMs: number): string {
  return `
import { createLogger, runExporter } from ${JSON.stringify(DIST)};
const sampler = { start: async () => {}, stop: async () => {}, status: () => ({}) };
const close = () => ${closeMs < 0 ? 'new Promise(() => {})' : `new Promise((resolve) => setTimeout(() => { process.stderr.write('closed\\n'); resolve(); }, ${closeMs}))`};
await runExporter({ app: { fetch: () => new Response('ok') }, sampler, close }, { host: '127.0.0.1', port: 0, logger: createLogger() });
`;
}

const servers: SpawnedServer[] = [];
afterEach(async () => {
  while (servers.length > 0) await servers.pop()!.stop('SIGKILL');
});
beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build first (pnpm nx run @proj/metrics-core:build)`);
});

async function launch(closeMs: number): Promise<SpawnedServer> {
  const server = await launchServer([process.execPath, '--input-type=module', '-e', exporterScript(closeMs)]);
  servers.push(server);
  return server;
}

describe('runExporter on SIGTERM', () => {
  it('exits 0 once the graceful stop has finished', async () => {
    const server = await launch(100);
    const { code } = await server.stop('SIGTERM');
    expect(code).toBe(0);
    expect(server.stderr()).toMatch(/msg=stopping signal=SIGTERM\n[^]*closed\n$/);
  });

  it('ends by SIGKILL and says so when the graceful stop hangs: the safety timer never passes for a clean stop', async () => {
    const server = await launch(-1);
    const { code, signal } = await server.stop('SIGTERM');
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGKILL' });
    expect(server.stderr()).toContain('level=error msg="graceful stop did not finish in time: ending by SIGKILL" deadline_ms=900');
    expect(server.stderr()).not.toContain('closed');
  });
});
