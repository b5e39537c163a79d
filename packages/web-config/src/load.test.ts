import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCertWorkshop, type CertWorkshop, type IssuedCert } from '@proj/fixtures';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebConfigError, WebConfigFileError } from './errors.js';
import { loadWebConfig, MAX_WEB_CONFIG_FILE_BYTES, nodeWebConfigIo } from './load.js';

let certs: CertWorkshop;
let ca: IssuedCert;
let server: IssuedCert;
let other: IssuedCert;

beforeAll(() => {
  certs = createCertWorkshop();
  ca = certs.ca('ca');
  server = certs.leaf('server', { ca, cn: 'localhost', sans: ['DNS:localhost'], usage: 'serverAuth' });
  other = certs.leaf('other', { ca, cn: 'other', sans: ['DNS:other'], usage: 'serverAuth' });
});
afterAll(() => certs?.remove());

/** Writes a configuration in a subdirectory of the workshop and returns its path. */
function writeConfig(name: string, text: string): string {
  const dir = join(certs.dir, name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'web.yml');
  writeFileSync(file, text);
  return file;
}

describe('loadWebConfig', () => {
  it('reads the configuration and the files it names, relative to its own directory', async () => {
    const path = writeConfig('ok', 'tls_server_config:\n  cert_file: ../server.crt\n  key_file: ../server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ../ca.crt\n');
    const loaded = await loadWebConfig(path);
    expect(loaded.path).toBe(path);
    expect(loaded.files).toEqual([path, server.certFile, server.keyFile, ca.certFile]);
    expect(loaded.tlsMaterial).toEqual({ cert: server.cert, key: server.key, clientCa: ca.cert });
  });

  it('reads nothing else for a configuration without TLS', async () => {
    const path = writeConfig('plain', 'http_server_config:\n  headers:\n    X-Frame-Options: deny\n');
    const loaded = await loadWebConfig(path);
    expect(loaded.tlsMaterial).toBeNull();
    expect(loaded.files).toEqual([path]);
  });

  it('names a missing configuration file', async () => {
    const missing = join(certs.dir, 'nowhere', 'web.yml');
    const error = await loadWebConfig(missing).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WebConfigFileError);
    expect(error).toMatchObject({ reason: 'missing_file', file: missing, code: 'ENOENT', message: `web configuration file ${missing}: no such file` });
  });

  it.each(['cert_file', 'key_file', 'client_ca_file'])('names a missing %s', async (key) => {
    const files: Record<string, string> = { cert_file: server.certFile, key_file: server.keyFile, client_ca_file: ca.certFile };
    files[key] = join(certs.dir, `missing-${key}.pem`);
    const path = writeConfig(`missing-${key}`, `tls_server_config:\n${Object.entries(files).map(([k, v]) => `  ${k}: ${v}\n`).join('')}  client_auth_type: RequireAndVerifyClientCert\n`);
    const error = await loadWebConfig(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WebConfigFileError);
    expect(error).toMatchObject({ reason: 'missing_file', file: files[key], message: `tls_server_config.${key} ${files[key]}: no such file` });
  });

  it('refuses a key that does not belong to the certificate, and a certificate that is not PEM', async () => {
    const mismatch = await loadWebConfig(writeConfig('mismatch', `tls_server_config:\n  cert_file: ${server.certFile}\n  key_file: ${other.keyFile}\n`)).catch((caught: unknown) => caught);
    expect(mismatch).toBeInstanceOf(WebConfigError);
    expect(mismatch).toMatchObject({ reason: 'bad_certificate', key: 'tls_server_config.cert_file' });
    expect((mismatch as Error).message).toMatch(/cannot use cert_file and key_file together: .*mismatch/i);
    const garbage = await loadWebConfig(writeConfig('garbage', `tls_server_config:\n  cert: not a certificate\n  key_file: ${server.keyFile}\n`)).catch((caught: unknown) => caught);
    expect(garbage).toMatchObject({ reason: 'bad_certificate' });
    expect((garbage as Error).message).not.toMatch(/\n/);
  });

  it('refuses a client CA bundle without a certificate in it', async () => {
    const path = writeConfig('bad-ca', `tls_server_config:\n  cert_file: ${server.certFile}\n  key_file: ${server.keyFile}\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ${server.keyFile}\n`);
    const error = await loadWebConfig(path).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ reason: 'bad_certificate', key: 'tls_server_config.client_ca_file' });
  });

  it('passes parse errors through with the file path in the message', async () => {
    const path = writeConfig('typo', 'tls_server_config:\n  cert_fil: x\n');
    await expect(loadWebConfig(path)).rejects.toThrow(`${path}: line 2: tls_server_config.cert_fil: unknown key`);
  });

  it('reads at most MAX_WEB_CONFIG_FILE_BYTES, so a device or a huge file cannot exhaust memory', async () => {
    const big = join(certs.dir, 'big.yml');
    writeFileSync(big, `# ${'x'.repeat(MAX_WEB_CONFIG_FILE_BYTES)}\n`);
    await expect(nodeWebConfigIo.readFile(big, MAX_WEB_CONFIG_FILE_BYTES)).rejects.toMatchObject({ code: 'EFBIG' });
    const error = await loadWebConfig(big).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ reason: 'unreadable_file', file: big });
    expect((error as Error).message).toMatch(/EFBIG/);
    await expect(loadWebConfig('/dev/zero')).rejects.toMatchObject({ code: 'EFBIG' });
  });

  it('reports an unreadable file with its errno code, through an injected io', async () => {
    const io = { readFile: () => Promise.reject(Object.assign(new Error('denied'), { code: 'EACCES' })) };
    const error = await loadWebConfig('/etc/web.yml', { io }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ reason: 'unreadable_file', code: 'EACCES', message: 'web configuration file /etc/web.yml: permission denied' });
  });
});
