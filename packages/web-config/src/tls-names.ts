// exporter-toolkit's TLS names (Go's crypto/tls) and what Node's OpenSSL calls the same things.

/** `client_auth_type` values, as Go's crypto/tls names them. */
export type ClientAuthType = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';

/** `min_version` / `max_version` values. */
export type TlsVersionName = 'TLS10' | 'TLS11' | 'TLS12' | 'TLS13';

/** `curve_preferences` values. */
export type CurveName = 'CurveP256' | 'CurveP384' | 'CurveP521' | 'X25519';

/** Each `client_auth_type` spelling exporter-toolkit accepts, and the policy it means. */
export const CLIENT_AUTH_TYPES: ReadonlyMap<string, ClientAuthType> = new Map<string, ClientAuthType>([
  ['NoClientCert', 'NoClientCert'],
  ['RequestClientCert', 'RequestClientCert'],
  ['RequireAnyClientCert', 'RequireAnyClientCert'],
  // exporter-toolkit keeps this older spelling working.
  ['RequireClientCert', 'RequireAnyClientCert'],
  ['VerifyClientCertIfGiven', 'VerifyClientCertIfGiven'],
  ['RequireAndVerifyClientCert', 'RequireAndVerifyClientCert'],
]);

/** Node's `minVersion` / `maxVersion` for each exporter-toolkit version name. */
export const NODE_TLS_VERSIONS: Readonly<Record<TlsVersionName, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'>> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};

/** OpenSSL group names (Node's `ecdhCurve`) for each Go curve name. */
export const OPENSSL_CURVES: Readonly<Record<CurveName, string>> = {
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
  X25519: 'X25519',
};

/**
 * The suites Go's `tls.CipherSuites()` lists (the ones exporter-toolkit accepts; Go's insecure list is refused there
 * too) with their OpenSSL names. The TLS 1.3 suites map to `null`: Go never lets a configuration choose them, so a
 * config naming one gets the default TLS 1.3 suites, as with exporter-toolkit.
 */
export const OPENSSL_CIPHER_SUITES: ReadonlyMap<string, string | null> = new Map<string, string | null>([
  ['TLS_RSA_WITH_AES_128_CBC_SHA', 'AES128-SHA'],
  ['TLS_RSA_WITH_AES_256_CBC_SHA', 'AES256-SHA'],
  ['TLS_RSA_WITH_AES_128_GCM_SHA256', 'AES128-GCM-SHA256'],
  ['TLS_RSA_WITH_AES_256_GCM_SHA384', 'AES256-GCM-SHA384'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'ECDHE-ECDSA-AES128-SHA'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'ECDHE-ECDSA-AES256-SHA'],
  ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'ECDHE-RSA-AES128-SHA'],
  ['TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'ECDHE-RSA-AES256-SHA'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384'],
  ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'],
  ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384'],
  ['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305'],
  ['TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305'],
  ['TLS_AES_128_GCM_SHA256', null],
  ['TLS_AES_256_GCM_SHA384', null],
  ['TLS_CHACHA20_POLY1305_SHA256', null],
]);

/** The TLS 1.3 suites Node offers by default; kept whatever `cipher_suites` says, as Go does. */
const DEFAULT_TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

/**
 * Node's `ciphers` string for a list of Go suite names (already validated), or undefined for an empty list
 * (Node's defaults). The TLS 1.3 suites always stay: Node would otherwise cap the protocol at TLS 1.2.
 */
export function opensslCipherList(goNames: readonly string[]): string | undefined {
  if (goNames.length === 0) return undefined;
  const tls12 = goNames.map((name) => OPENSSL_CIPHER_SUITES.get(name)).filter((name): name is string => typeof name === 'string');
  return [DEFAULT_TLS13_SUITES, ...tls12].join(':');
}
