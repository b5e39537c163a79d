import { copyFileSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { createCertWorkshop, until, type CertWorkshop, type IssuedCert } from '@proj/fixtures';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WebConfigError } from './errors.js';
import { loadWebConfig, type LoadedWebConfig } from './load.js';
import { createWebConfigReloader } from './reloader.js';
import { fingerprintOf, get, startTestServer, type TestServer } from './test-server.js';

let certs: CertWorkshop;
let ca: IssuedCert;
let first: IssuedCert;
let second: IssuedCert;
let client: IssuedCert;
let running: TestServer | undefined;
let live: string;
let configFile: string;
let cases = 0;

beforeAll(() => {
  certs = createCertWorkshop();
  ca = certs.ca('ca');
  first = certs.leaf('first', { ca, cn: 'localhost', sans: ['IP:127.0.0.1'], usage: 'serverAuth' });
  second = certs.leaf('second', { ca, cn: 'localhost', sans: ['IP:127.0.0.1'], usage: 'serverAuth' });
  client = certs.leaf('client', { ca, cn: 'scraper', sans: ['DNS:scraper.lab'], usage: 'clientAuth' });
});
afterEach(async () => {
  await running?.close();
  running = undefined;
});
afterAll(() => certs?.remove());

/** A fresh directory with the first certificate in place as server.crt / server.key and a configuration naming them. */
function setUp(extra = ''): void {
  live = join(certs.dir, `live-${++cases}`);
  mkdirSync(live);
  copyFileSync(first.certFile, join(live, 'server.crt'));
  copyFileSync(first.keyFile, join(live, 'server.key'));
  copyFileSync(ca.certFile, join(live, 'ca.crt'));
  configFile = join(live, 'web.yml');
  writeConfig(extra);
}

function writeConfig(extra: string): void {
  writeFileSync(configFile, `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n${extra}`);
}

/** Replaces a file the way certificate tools do: write beside it, then rename over it. */
function replace(name: string, from: string): void {
  copyFileSync(from, join(live, `${name}.new`));
  renameSync(join(live, `${name}.new`), join(live, name));
}

const servedFingerprint = async (port: number) => (await get(port, { ca: ca.cert })).fingerprint256;

describe('createWebConfigReloader', () => {
  it('reload() rotates the certificate on the running server: new connections see the new one', async () => {
    setUp();
    const reloaded: LoadedWebConfig[] = [];
    running = await startTestServer(await loadWebConfig(configFile), { onReload: (loaded) => reloaded.push(loaded) });
    expect(await servedFingerprint(running.port)).toBe(fingerprintOf(first.cert));
    replace('server.crt', second.certFile);
    replace('server.key', second.keyFile);
    const outcome = await running.reloader.reload();
    expect(outcome.ok).toBe(true);
    expect(reloaded).toHaveLength(1);
    expect(running.reloader.current().tlsMaterial?.cert).toEqual(second.cert);
    expect(await servedFingerprint(running.port)).toBe(fingerprintOf(second.cert));
  });

  it('notices changed files by itself (polling) and rotates', async () => {
    setUp();
    running = await startTestServer(await loadWebConfig(configFile), { pollIntervalMs: 25 });
    expect(await servedFingerprint(running.port)).toBe(fingerprintOf(first.cert));
    // Key first, then certificate: the poll in between fails (they do not match) and keeps the first pair serving.
    replace('server.key', second.keyFile);
    replace('server.crt', second.certFile);
    const port = running.port;
    await until(async () => (await servedFingerprint(port)) === fingerprintOf(second.cert), 20_000, 25);
  }, 30_000);

  it('a broken file keeps the old configuration serving and reports the error', async () => {
    setUp();
    const errors: WebConfigError[] = [];
    running = await startTestServer(await loadWebConfig(configFile), { onError: (error) => errors.push(error) });
    const before = running.reloader.current();
    writeFileSync(configFile, 'tls_server_config:\n  cert_file: [\n');
    const outcome = await running.reloader.reload();
    expect(outcome).toMatchObject({ ok: false, error: { reason: 'syntax' } });
    expect(outcome.loaded).toBe(before);
    expect(running.reloader.current()).toBe(before);
    expect(errors.map((error) => error.reason)).toEqual(['syntax']);
    expect(await servedFingerprint(running.port)).toBe(fingerprintOf(first.cert));
  });

  it('a half-done rotation (new certificate, old key) is refused and keeps the old pair; finishing it rotates', async () => {
    setUp();
    running = await startTestServer(await loadWebConfig(configFile));
    replace('server.crt', second.certFile);
    expect(await running.reloader.reload()).toMatchObject({ ok: false, error: { reason: 'bad_certificate' } });
    expect(await servedFingerprint(running.port)).toBe(fingerprintOf(first.cert));
    replace('server.key', second.keyFile);
    expect((await running.reloader.reload()).ok).toBe(true);
    expect(await servedFingerprint(running.port)).toBe(fingerprintOf(second.cert));
  });

  it('a certificate file that vanished is named, and the old one keeps serving', async () => {
    setUp();
    running = await startTestServer(await loadWebConfig(configFile));
    rmSync(join(live, 'server.key'));
    expect(await running.reloader.reload()).toMatchObject({ ok: false, error: { reason: 'missing_file', file: join(live, 'server.key') } });
    expect(await servedFingerprint(running.port)).toBe(fingerprintOf(first.cert));
  });

  it('applies a new client certificate policy and new users to the next connection', async () => {
    setUp();
    running = await startTestServer(await loadWebConfig(configFile));
    expect((await get(running.port, { ca: ca.cert })).status).toBe(200);
    writeConfig(`  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\nbasic_auth_users:\n  alice: ${hashSync('alice123', 4)}\n`);
    expect((await running.reloader.reload()).ok).toBe(true);
    await expect(get(running.port, { ca: ca.cert })).rejects.toThrow();
    const withCert = { ca: ca.cert, cert: client.cert, key: client.key };
    expect((await get(running.port, withCert)).status).toBe(401);
    expect((await get(running.port, { ...withCert, authorization: `Basic ${Buffer.from('alice:alice123').toString('base64')}` })).status).toBe(200);
  });

  it('refuses to turn TLS off (or on) without a restart', async () => {
    setUp();
    const reloader = createWebConfigReloader(await loadWebConfig(configFile), { pollIntervalMs: 0 });
    writeFileSync(configFile, 'basic_auth_users: {}\n');
    expect(await reloader.reload()).toMatchObject({ ok: false, error: { reason: 'needs_restart' } });
    expect(reloader.current().config.tls).not.toBeNull();
    reloader.close();
  });

  it('runs reloads one at a time, each seeing the files as they are then', async () => {
    setUp();
    const reloader = createWebConfigReloader(await loadWebConfig(configFile), { pollIntervalMs: 0 });
    const outcomes = await Promise.all([reloader.reload(), reloader.reload(), reloader.reload()]);
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, true]);
    expect(reloader.current()).toBe(outcomes[2]!.loaded);
    reloader.close();
  });
});
