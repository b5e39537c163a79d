import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import { WebConfigError } from './errors.js';
import type { LoadedWebConfig } from './load.js';
import type { TlsServerConfig } from './parse.js';
import { NODE_TLS_VERSIONS, OPENSSL_CURVES, opensslCipherList } from './tls-names.js';

/**
 * What `tls.createSecureContext` and `server.setSecureContext` take for a loaded configuration: certificate, key,
 * client CA, protocol versions, ciphers, curves. Throws a WebConfigError when the configuration has no TLS.
 */
export function createSecureContextOptions(loaded: LoadedWebConfig): SecureContextOptions {
  const { tls, material } = tlsOf(loaded);
  const options: SecureContextOptions = {
    cert: material.cert,
    key: material.key,
    minVersion: NODE_TLS_VERSIONS[tls.minVersion],
    maxVersion: NODE_TLS_VERSIONS[tls.maxVersion],
    honorCipherOrder: tls.preferServerCipherSuites,
  };
  if (material.clientCa !== null) options.ca = material.clientCa;
  const ciphers = opensslCipherList(tls.cipherSuites);
  if (ciphers !== undefined) options.ciphers = ciphers;
  if (tls.curvePreferences.length > 0) options.ecdhCurve = tls.curvePreferences.map((curve) => OPENSSL_CURVES[curve]).join(':');
  return options;
}

/** Whether a server asks for a client certificate, and whether OpenSSL itself refuses one that does not verify. */
export function clientCertificatePolicy(tls: TlsServerConfig): { requestCert: boolean; rejectUnauthorized: boolean } {
  switch (tls.clientAuthType) {
    case 'NoClientCert':
      return { requestCert: false, rejectUnauthorized: false };
    case 'RequireAndVerifyClientCert':
      return { requestCert: true, rejectUnauthorized: true };
    default:
      // Requested but not refused by OpenSSL: checkClientCertificate decides once the handshake is done.
      return { requestCert: true, rejectUnauthorized: false };
  }
}

/**
 * Options for `https.createServer` (or `@hono/node-server`'s `serverOptions` with `createServer: https.createServer`):
 * the secure context options plus the client certificate policy. A server made with these must also go through
 * `attach` of a WebConfigReloader (or `enforceClientCertificates`) for RequireAnyClientCert, VerifyClientCertIfGiven and
 * client_allowed_sans, which OpenSSL options alone cannot express.
 */
export function createHttpsServerOptions(loaded: LoadedWebConfig): HttpsServerOptions {
  const { tls } = tlsOf(loaded);
  return { ...createSecureContextOptions(loaded), ...clientCertificatePolicy(tls) };
}

/**
 * Why a finished handshake must be refused under `tls`'s client_auth_type and client_allowed_sans, or null to accept it.
 * RequireAndVerifyClientCert is already enforced by OpenSSL (rejectUnauthorized); the SAN check applies to every mode.
 */
export function checkClientCertificate(tls: TlsServerConfig, socket: Pick<TLSSocket, 'getPeerCertificate' | 'authorized' | 'authorizationError'>): string | null {
  if (tls.clientAuthType === 'NoClientCert' || tls.clientAuthType === 'RequestClientCert') return null;
  const peer = socket.getPeerCertificate();
  const presented = peer !== null && peer !== undefined && Object.keys(peer).length > 0;
  if (!presented) {
    return tls.clientAuthType === 'VerifyClientCertIfGiven' ? null : 'no client certificate';
  }
  if (tls.clientAuthType !== 'RequireAnyClientCert' && !socket.authorized) return `client certificate not verified: ${String(socket.authorizationError)}`;
  if (tls.clientAllowedSans.length > 0) {
    const sans = subjectAltNames(peer.subjectaltname ?? '');
    if (!sans.some((san) => tls.clientAllowedSans.includes(san))) return 'client certificate has none of client_allowed_sans';
  }
  return null;
}

/**
 * Enforces checkClientCertificate on every new connection of `server`, against whatever `current` returns then
 * (so a reload applies to the next handshake). Returns a function that removes the check.
 */
export function enforceClientCertificates(server: { prependListener(event: 'secureConnection', listener: (socket: TLSSocket) => void): unknown; off(event: 'secureConnection', listener: (socket: TLSSocket) => void): unknown }, current: () => TlsServerConfig | null): () => void {
  const listener = (socket: TLSSocket) => {
    const tls = current();
    // Before the HTTP layer's own listener: a refused connection never reaches a request handler.
    if (tls !== null && checkClientCertificate(tls, socket) !== null) socket.destroy();
  };
  server.prependListener('secureConnection', listener);
  return () => server.off('secureConnection', listener);
}

/** The values of an OpenSSL `subjectaltname` line (`DNS:a, IP Address:10.0.0.1, email:x@y, URI:spiffe://z`). */
export function subjectAltNames(line: string): string[] {
  const values: string[] = [];
  for (const match of line.matchAll(/(?:^|, )(?:DNS|IP Address|email|URI):("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    const raw = match[1]!;
    values.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return values;
}

function tlsOf(loaded: LoadedWebConfig) {
  const tls = loaded.config.tls;
  const material = loaded.tlsMaterial;
  if (tls === null || material === null) throw new WebConfigError(`${loaded.path}: no TLS configured (tls_server_config with cert_file and key_file)`, 'invalid_value', { key: 'tls_server_config' });
  return { tls, material };
}
