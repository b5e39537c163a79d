// --web.config.file on the GPU exporter: the same flag as the CPU exporter's (metrics-core's shared flags), set here
// through GPU_EXPORTER_WEB_CONFIG_FILE; the CPU exporter's test file covers TLS, client certificates and reloads.
import { runToExit } from '@proj/fixtures';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENTRY, useHarness } from './harness.js';

const { start, defer } = useHarness();
const ALICE_HASH = '$2y$12$1DpfPeqF9HzHJt.EWswy1exHluGfbhnn3yXhR7Xes6m3WJqFg0Wby';

function configFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gpu-web-config-'));
  defer(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'web.yml');
  writeFileSync(file, text);
  return file;
}

describe('gpu_exporter with GPU_EXPORTER_WEB_CONFIG_FILE', () => {
  it('asks for basic auth on every route and serves alice', async () => {
    const file = configFile(`basic_auth_users:\n  alice: ${ALICE_HASH}\n`);
    const server = await start({ GPU_EXPORTER_WEB_CONFIG_FILE: file, FAKE_NVIDIA_SMI_CAPTURE: 'rtx-4080-super' });
    const anonymous = await fetch(`${server.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
    const alice = await fetch(`${server.url}/metrics`, { headers: { authorization: `Basic ${btoa('alice:alice123')}` } });
    expect(alice.status).toBe(200);
    expect(await alice.text()).toContain('gpu_devices');
  });

  it('exits 2 with one line when the file does not parse', async () => {
    const file = configFile('tls_server_config:\n  cert_file: [\n');
    const result = await runToExit(ENTRY, ['--port', '0', '--web.config.file', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^gpu_exporter: --web\.config\.file: [^\n]+\n$/);
  });
});
