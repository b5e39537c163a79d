// --web.config.file on the built exporter: basic auth with exporter-toolkit's own vector, TLS, client certificates,
// certificate rotation while it runs (SIGHUP and a changed file), a broken file at start and on reload, and
// --healthcheck against a TLS and auth-protected exporter. Certificates are made by openssl for each test.
import { createCertWorkshop, runToExit, until, type CertWorkshop, type IssuedCert, type SpawnedServer } from '@proj/fixtures';
import { X509Certificate } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENTRY, useHarness } from './harness.js';

const { tree, start, defer } = useHarness();

// exporter-toolkit's test vector (`htpasswd -nBC 12 alice`, password alice123).
const ALICE_HASH = '$2y$12$1DpfPeqF9HzHJt.EWswy1exHluGfbhnn3yXhR7Xes6m3WJqFg0Wby';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** The server's certificate (TLS only). */
  readonly peer?: Buffer;
}

/** One GET over plain HTTP or TLS (trusting `ca`, presenting `client` when given), on a fresh connection. */
function get(url: string, options: { ca?: IssuedCert; client?: IssuedCert; authorization?: string } = {}): Promise<Answer> {
  const target = new URL(url);
  const https = target.protocol === 'https:';
  const send = https ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        agent: false,
        headers: options.authorization === undefined ? {} : { authorization: options.authorization },
        ...(https ? { ca: options.ca?.cert, ...(options.client ? { cert: options.client.cert, key: options.client.key } : {}) } : {}),
      },
      (res) => {
        const peer = https ? ((res.socket as import('node:tls').TLSSocket).getPeerCertificate().raw as Buffer) : undefined;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ...(peer ? { peer } : {}) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function workshop(): CertWorkshop {
  const w = createCertWorkshop();
  defer(() => w.remove());
  return w;
}

const serverLeaf = (w: CertWorkshop, name: string, ca: IssuedCert) =>
  w.leaf(name, { ca, cn: 'exporter', sans: ['DNS:localhost', 'IP:127.0.0.1'], usage: 'serverAuth' });

/** Writes a web configuration beside the certificates and returns its path. */
function writeConfig(w: CertWorkshop, text: string, name = 'web.yml'): string {
  const file = join(w.dir, name);
  writeFileSync(file, text);
  return file;
}

/** Copies a certificate and key over `server.crt` / `server.key` by rename, as certificate tools do. */
function installServerCert(w: CertWorkshop, cert: IssuedCert): void {
  for (const [from, to] of [
    [cert.certFile, 'server.crt'],
    [cert.keyFile, 'server.key'],
  ] as const) {
    writeFileSync(join(w.dir, `${to}.new`), readFileSync(from));
    renameSync(join(w.dir, `${to}.new`), join(w.dir, to));
  }
}

const sameCert = (peer: Buffer | undefined, cert: IssuedCert) => peer !== undefined && peer.equals(new X509Certificate(cert.cert).raw);

describe('cpu_exporter --web.config.file: basic auth', () => {
  it("accepts exporter-toolkit's alice/alice123 ($2y$ hash), refuses a wrong password and an unknown user alike, and sets the headers", async () => {
    const w = workshop();
    const file = writeConfig(w, `basic_auth_users:\n  alice: ${ALICE_HASH}\nhttp_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n`);
    const server = await start(tree('amd-epyc-7401p'), '--web.config.file', file);
    expect(server.url).toMatch(/^http:/);

    const alice = await get(`${server.url}/metrics`, { authorization: basic('alice', 'alice123') });
    expect(alice.status).toBe(200);
    expect(alice.body).toContain('rapl_energy_joules_total{');
    expect(alice.headers['x-content-type-options']).toBe('nosniff');

    for (const authorization of [undefined, basic('alice', 'alice124'), basic('mallory', 'alice123'), 'Bearer alice123']) {
      const refused = await get(`${server.url}/metrics`, authorization === undefined ? {} : { authorization });
      expect(refused.status).toBe(401);
      expect(refused.headers['www-authenticate']).toMatch(/^Basic/);
      expect(refused.body).not.toContain('rapl_');
    }
    // Every route is behind it, /health included.
    expect((await get(`${server.url}/health`)).status).toBe(401);
    expect((await get(`${server.url}/health`, { authorization: basic('alice', 'alice123') })).status).toBe(200);
  });
});

describe('cpu_exporter --web.config.file: TLS', () => {
  it('serves HTTPS with the configured certificate, says https:// in the listening line, and refuses plain HTTP', async () => {
    const w = workshop();
    const ca = w.ca('ca');
    installServerCert(w, serverLeaf(w, 'leaf', ca));
    const file = writeConfig(w, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n');
    const server = await start(tree('amd-epyc-7401p'), '--web.config.file', file);
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(server.stderr()).toMatch(/msg=listening address=https:\/\//);

    const answer = await get(`${server.url}/metrics`, { ca });
    expect(answer.status).toBe(200);
    expect(answer.body).toContain('rapl_energy_joules_total{');
    // Not trusted without the CA, and no plain HTTP on the port.
    await expect(get(`${server.url}/metrics`)).rejects.toThrow(/self.signed|unable to verify|certificate/i);
    const plain = await get(`${server.url.replace('https:', 'http:')}/metrics`).catch((error: Error) => error);
    expect(plain instanceof Error ? plain.message : `status ${(plain as Answer).status}`).not.toMatch(/^status 200/);
  });

  it('requires a client certificate signed by client_ca_file with RequireAndVerifyClientCert', async () => {
    const w = workshop();
    const ca = w.ca('ca');
    installServerCert(w, serverLeaf(w, 'leaf', ca));
    const clientCa = w.ca('client-ca');
    const otherCa = w.ca('other-ca');
    const client = w.leaf('client', { ca: clientCa, cn: 'vmagent', sans: ['DNS:vmagent'], usage: 'clientAuth' });
    const stranger = w.leaf('stranger', { ca: otherCa, cn: 'vmagent', sans: ['DNS:vmagent'], usage: 'clientAuth' });
    const file = writeConfig(
      w,
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${clientCa.certFile}\n`,
    );
    const server = await start(tree('amd-epyc-7401p'), '--web.config.file', file);

    expect((await get(`${server.url}/metrics`, { ca, client })).status).toBe(200);
    const failed = async (options: Parameters<typeof get>[1]) => get(`${server.url}/metrics`, options).then((a) => `status ${a.status}`, (e: Error) => e.message);
    expect(await failed({ ca })).not.toBe('status 200');
    expect(await failed({ ca, client: stranger })).not.toBe('status 200');
  });
});

describe('cpu_exporter --web.config.file: reloads', () => {
  it('rotates the certificate without a restart, on SIGHUP and when the files change', async () => {
    const w = workshop();
    const ca = w.ca('ca');
    const first = serverLeaf(w, 'first', ca);
    const second = serverLeaf(w, 'second', ca);
    const third = serverLeaf(w, 'third', ca);
    installServerCert(w, first);
    const file = writeConfig(w, 'tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n');
    const server = await start(tree('amd-epyc-7401p'), '--web.config.file', file);
    expect(sameCert((await get(`${server.url}/health`, { ca })).peer, first)).toBe(true);

    installServerCert(w, second);
    process.kill(server.child.pid!, 'SIGHUP');
    await until(async () => sameCert((await get(`${server.url}/health`, { ca })).peer, second));
    expect(server.child.exitCode).toBeNull();

    // No signal: the exporter looks at the files every 5 s.
    installServerCert(w, third);
    await until(async () => sameCert((await get(`${server.url}/health`, { ca })).peer, third), 20_000, 200);
    expect(server.stderr()).toContain('msg="web configuration reloaded"');
  });

  it('keeps the configuration in force when the file breaks while it runs, and says why', async () => {
    const w = workshop();
    const file = writeConfig(w, `basic_auth_users:\n  alice: ${ALICE_HASH}\n`);
    const server = await start(tree('amd-epyc-7401p'), '--web.config.file', file);
    writeFileSync(file, 'basic_auth_users:\n  alice: alice123\n'); // a plain-text password is not a bcrypt hash
    process.kill(server.child.pid!, 'SIGHUP');
    await until(() => server.stderr().includes('web configuration not reloaded'));
    expect(server.stderr()).toMatch(/level=warn msg="web configuration not reloaded: keeping the one in force" error=".*alice/);
    expect((await get(`${server.url}/metrics`)).status).toBe(401);
    expect((await get(`${server.url}/metrics`, { authorization: basic('alice', 'alice123') })).status).toBe(200);
  });

  it('survives SIGHUP without a web configuration (Node would end the process)', async () => {
    const server = await start(tree('amd-epyc-7401p'));
    process.kill(server.child.pid!, 'SIGHUP');
    await until(() => server.stderr().includes('SIGHUP: no --web.config.file to re-read'));
    expect((await get(`${server.url}/health`)).status).toBe(200);
    expect(server.child.exitCode).toBeNull();
  });
});

describe('cpu_exporter --web.config.file: a file that cannot be used', () => {
  it.each([
    ['a syntax error', 'basic_auth_users: [\n', /web\.yml: .*line/],
    ['an unknown key', 'tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n  min_versoin: TLS12\n', /min_versoin/],
    ['a missing certificate file', 'tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n', /missing\.crt/],
    ['a plain-text password', 'basic_auth_users:\n  alice: alice123\n', /alice/],
  ])('exits 2 with one line for %s', async (_what, text, why) => {
    const w = workshop();
    const file = writeConfig(w, text);
    const t = tree('amd-epyc-7401p');
    const result = await runToExit(ENTRY, ['--port', '0', '--host', '127.0.0.1', '--sysfs-root', t.root, '--web.config.file', file]);
    expect(result.code).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^cpu_exporter: --web\.config\.file: /);
    expect(lines[0]).toMatch(why);
  });

  it('exits 2 when the file itself is missing (named by the environment variable too)', async () => {
    const t = tree('amd-epyc-7401p');
    const result = await runToExit(ENTRY, ['--port', '0', '--sysfs-root', t.root], { CPU_EXPORTER_WEB_CONFIG_FILE: '/nonexistent/web.yml' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^cpu_exporter: --web\.config\.file: .*\/nonexistent\/web\.yml: .*\n$/);
  });
});

describe('cpu_exporter --healthcheck with a web configuration', () => {
  it('connects over TLS pinned to the configured certificate and authenticates with --healthcheck.user and the password variable', async () => {
    const w = workshop();
    const ca = w.ca('ca');
    // The certificate names only a DNS name: the healthcheck asks 127.0.0.1 and must accept it by pinning.
    installServerCert(w, w.leaf('leaf', { ca, cn: 'exporter.example', sans: ['DNS:exporter.example'], usage: 'serverAuth' }));
    const file = writeConfig(w, `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  alice: ${ALICE_HASH}\n`);
    const server = await start(tree('amd-epyc-7401p'), '--web.config.file', file);
    const port = new URL(server.url).port;
    const args = ['--healthcheck', '--host', '127.0.0.1', '--port', port, '--web.config.file', file];

    const ok = await runToExit(ENTRY, [...args, '--healthcheck.user', 'alice'], { CPU_EXPORTER_HEALTHCHECK_PASSWORD: 'alice123' });
    expect(ok.stdout).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${port}/health: 200 .*"status":"ok"`));
    expect(ok.code).toBe(0);

    const anonymous = await runToExit(ENTRY, args);
    expect(anonymous.code).toBe(1);
    expect(anonymous.stdout).toContain('401');
    expect(anonymous.stdout).toContain('--healthcheck.user');

    const wrong = await runToExit(ENTRY, [...args], { CPU_EXPORTER_HEALTHCHECK_USER: 'alice', CPU_EXPORTER_HEALTHCHECK_PASSWORD: 'nope' });
    expect(wrong.code).toBe(1);

    // Another certificate in the file than the server presents: the healthcheck refuses before sending the password.
    const otherFile = writeConfig(w, `tls_server_config:\n  cert_file: other.crt\n  key_file: other.key\n`, 'other.yml');
    const other = serverLeaf(w, 'other', ca);
    writeFileSync(join(w.dir, 'other.crt'), other.cert);
    writeFileSync(join(w.dir, 'other.key'), other.key);
    const impostor = await runToExit(ENTRY, ['--healthcheck', '--host', '127.0.0.1', '--port', port, '--web.config.file', otherFile]);
    expect(impostor.code).toBe(1);
    expect(impostor.stdout).toContain('did not present the certificate of --web.config.file');
  });

  it('shows a client certificate when the web configuration requires one', async () => {
    const w = workshop();
    const ca = w.ca('ca');
    installServerCert(w, serverLeaf(w, 'leaf', ca));
    const client = w.leaf('client', { ca, cn: 'healthcheck', sans: ['DNS:healthcheck'], usage: 'clientAuth' });
    const file = writeConfig(
      w,
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${ca.certFile}\n`,
    );
    const server = await start(tree('amd-epyc-7401p'), '--web.config.file', file);
    const args = ['--healthcheck', '--host', '127.0.0.1', '--port', new URL(server.url).port, '--web.config.file', file];
    expect((await runToExit(ENTRY, args)).code).toBe(1);
    const shown = await runToExit(ENTRY, args, { CPU_EXPORTER_HEALTHCHECK_CLIENT_CERT_FILE: client.certFile, CPU_EXPORTER_HEALTHCHECK_CLIENT_KEY_FILE: client.keyFile });
    expect(shown.stdout).toContain(': 200 ');
    expect(shown.code).toBe(0);
  });
});
