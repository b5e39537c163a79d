import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { createCertWorkshop, type CertWorkshop, type IssuedCert } from '@proj/fixtures';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadWebConfig } from './load.js';
import { fingerprintOf, get, startTestServer, type TestServer } from './test-server.js';
import { checkClientCertificate, subjectAltNames } from './tls.js';
import { parseWebConfig } from './parse.js';

let certs: CertWorkshop;
let ca: IssuedCert;
let otherCa: IssuedCert;
let serverCert: IssuedCert;
let client: IssuedCert;
let intruder: IssuedCert;
let strangerClient: IssuedCert;
let selfSigned: IssuedCert;
let running: TestServer | undefined;
const authorization = `Basic ${Buffer.from('alice:alice123').toString('base64')}`;
const aliceHash = hashSync('alice123', 4);

beforeAll(() => {
  certs = createCertWorkshop();
  ca = certs.ca('ca');
  otherCa = certs.ca('other-ca');
  serverCert = certs.leaf('server', { ca, cn: 'localhost', sans: ['DNS:localhost', 'IP:127.0.0.1'], usage: 'serverAuth' });
  client = certs.leaf('client', { ca, cn: 'scraper', sans: ['DNS:scraper.lab'], usage: 'clientAuth' });
  intruder = certs.leaf('intruder', { ca, cn: 'intruder', sans: ['DNS:intruder.lab'], usage: 'clientAuth' });
  strangerClient = certs.leaf('stranger', { ca: otherCa, cn: 'scraper', sans: ['DNS:scraper.lab'], usage: 'clientAuth' });
  selfSigned = certs.leaf('self', { cn: 'scraper', sans: ['DNS:scraper.lab'], usage: 'clientAuth' });
});
afterEach(async () => {
  await running?.close();
  running = undefined;
});
afterAll(() => certs?.remove());

let configs = 0;
/** Starts a server from a configuration whose tls_server_config has the server certificate plus `tlsExtra` lines. */
async function serve(tlsExtra: string, rest = ''): Promise<TestServer> {
  const file = join(certs.dir, `web-${++configs}.yml`);
  writeFileSync(file, `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n${tlsExtra}${rest}`);
  running = await startTestServer(await loadWebConfig(file));
  return running;
}

const clientCa = '  client_ca_file: ca.crt\n';

describe('TLS from a web configuration, on a real https server with @hono/node-server', () => {
  it('serves the configured certificate over TLS 1.3, with basic auth and the configured headers', async () => {
    const { port } = await serve('', `basic_auth_users:\n  alice: ${aliceHash}\nhttp_server_config:\n  headers:\n    Strict-Transport-Security: max-age=300\n`);
    const refused = await get(port, { ca: ca.cert });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Basic');
    expect(refused.headers['strict-transport-security']).toBe('max-age=300');
    const served = await get(port, { ca: ca.cert, authorization });
    expect(served).toMatchObject({ status: 200, body: 'up 1\n', protocol: 'TLSv1.3', fingerprint256: fingerprintOf(serverCert.cert) });
  });

  it('a client that does not trust the CA refuses the server', async () => {
    const { port } = await serve('');
    await expect(get(port, { ca: otherCa.cert })).rejects.toThrow(/certificate/i);
  });

  it('RequireAndVerifyClientCert: a certificate from the client CA gets in; none, another CA, or self-signed do not', async () => {
    const { port } = await serve(`  client_auth_type: RequireAndVerifyClientCert\n${clientCa}`);
    expect((await get(port, { ca: ca.cert, cert: client.cert, key: client.key })).status).toBe(200);
    await expect(get(port, { ca: ca.cert })).rejects.toThrow();
    await expect(get(port, { ca: ca.cert, cert: strangerClient.cert, key: strangerClient.key })).rejects.toThrow();
    await expect(get(port, { ca: ca.cert, cert: selfSigned.cert, key: selfSigned.key })).rejects.toThrow();
  });

  it('VerifyClientCertIfGiven: no certificate gets in, a verified one too, an unverified one does not', async () => {
    const { port } = await serve(`  client_auth_type: VerifyClientCertIfGiven\n${clientCa}`);
    expect((await get(port, { ca: ca.cert })).status).toBe(200);
    expect((await get(port, { ca: ca.cert, cert: client.cert, key: client.key })).status).toBe(200);
    await expect(get(port, { ca: ca.cert, cert: strangerClient.cert, key: strangerClient.key })).rejects.toThrow();
  });

  it('RequireAnyClientCert: any certificate gets in (even self-signed), none does not', async () => {
    const { port } = await serve('  client_auth_type: RequireAnyClientCert\n');
    expect((await get(port, { ca: ca.cert, cert: selfSigned.cert, key: selfSigned.key })).status).toBe(200);
    await expect(get(port, { ca: ca.cert })).rejects.toThrow();
  });

  it('client_allowed_sans: a verified certificate without an allowed SAN is refused', async () => {
    const { port } = await serve(`  client_auth_type: RequireAndVerifyClientCert\n${clientCa}  client_allowed_sans: [scraper.lab]\n`);
    expect((await get(port, { ca: ca.cert, cert: client.cert, key: client.key })).status).toBe(200);
    await expect(get(port, { ca: ca.cert, cert: intruder.cert, key: intruder.key })).rejects.toThrow();
  });

  it('min_version TLS13 refuses a TLS 1.2 client', async () => {
    const { port } = await serve('  min_version: TLS13\n');
    expect((await get(port, { ca: ca.cert })).protocol).toBe('TLSv1.3');
    await expect(get(port, { ca: ca.cert, maxVersion: 'TLSv1.2' })).rejects.toThrow(/version|protocol/i);
  });

  it('max_version TLS12 and cipher_suites choose what is negotiated, and a client offering none of them is refused', async () => {
    const { port } = await serve('  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n');
    const seen = await get(port, { ca: ca.cert });
    expect(seen).toMatchObject({ protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
    await expect(get(port, { ca: ca.cert, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).rejects.toThrow();
  });

  it('curve_preferences limits the key exchange groups', async () => {
    const { port } = await serve('  curve_preferences: [CurveP384]\n');
    expect((await get(port, { ca: ca.cert })).status).toBe(200);
    // A client offering only X25519 shares no group with the server.
    await expect(
      new Promise((resolve, reject) => {
        import('node:tls').then(({ connect }) => {
          const socket = connect({ host: '127.0.0.1', port, ca: ca.cert, ecdhCurve: 'X25519' }, () => {
            socket.end();
            resolve('connected');
          });
          socket.on('error', reject);
        }, reject);
      }),
    ).rejects.toThrow();
  });
});

describe('checkClientCertificate and subjectAltNames', () => {
  const tls = (extra: string) =>
    parseWebConfig(`tls_server_config:\n  cert_file: a\n  key_file: b\n${extra}`, { baseDir: '/' }).tls!;
  const socket = (peer: object, authorized: boolean) => ({ getPeerCertificate: () => peer as never, authorized, authorizationError: new Error('UNABLE_TO_VERIFY_LEAF_SIGNATURE') });

  it('decides each client auth type from what the handshake left', () => {
    const none = socket({}, false);
    const unverified = socket({ subjectaltname: 'DNS:x' }, false);
    expect(checkClientCertificate(tls('  client_auth_type: RequestClientCert\n'), none)).toBeNull();
    expect(checkClientCertificate(tls('  client_auth_type: RequireAnyClientCert\n'), none)).toBe('no client certificate');
    expect(checkClientCertificate(tls('  client_auth_type: RequireAnyClientCert\n'), unverified)).toBeNull();
    expect(checkClientCertificate(tls('  client_auth_type: VerifyClientCertIfGiven\n'), none)).toBeNull();
    expect(checkClientCertificate(tls('  client_auth_type: VerifyClientCertIfGiven\n'), unverified)).toMatch(/not verified/);
    expect(checkClientCertificate(tls('  client_auth_type: RequireAnyClientCert\n  client_allowed_sans: [y]\n'), unverified)).toMatch(/client_allowed_sans/);
  });

  it('reads every SAN kind, quoted values included', () => {
    expect(subjectAltNames('DNS:a.lab, IP Address:10.0.0.1, email:ops@lab, URI:spiffe://lab/scraper, DNS:"b, c"')).toEqual(['a.lab', '10.0.0.1', 'ops@lab', 'spiffe://lab/scraper', 'b, c']);
    expect(subjectAltNames('')).toEqual([]);
  });
});
