import { getCiphers } from 'node:tls';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WebConfigError } from './errors.js';
import { parseWebConfig } from './parse.js';
import { OPENSSL_CIPHER_SUITES, opensslCipherList } from './tls-names.js';

const ALICE = '$2y$12$1DpfPeqF9HzHJt.EWswy1exHluGfbhnn3yXhR7Xes6m3WJqFg0Wby';
const parse = (text: string) => parseWebConfig(text, { baseDir: '/etc/exporter', sourceName: 'web.yml' });

function refusal(text: string): WebConfigError {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(WebConfigError);
    return error as WebConfigError;
  }
  throw new Error(`accepted: ${text}`);
}

describe('parseWebConfig', () => {
  it('reads every key of exporter-toolkit format, resolving relative paths against the base directory', () => {
    const config = parse(`
tls_server_config:
  cert_file: tls/server.crt
  key_file: /secrets/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ../ca.crt
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
  curve_preferences: [X25519, CurveP256]
  prefer_server_cipher_suites: false
  client_allowed_sans: [scraper.lab]
http_server_config:
  http2: false
  headers:
    Strict-Transport-Security: max-age=31536000
    x-frame-options: deny
basic_auth_users:
  alice: ${ALICE}
`);
    expect(config.tls).toEqual({
      cert: { file: '/etc/exporter/tls/server.crt' },
      key: { file: '/secrets/server.key' },
      clientCa: { file: '/etc/ca.crt' },
      clientAuthType: 'RequireAndVerifyClientCert',
      minVersion: 'TLS13',
      maxVersion: 'TLS13',
      cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256'],
      curvePreferences: ['X25519', 'CurveP256'],
      preferServerCipherSuites: false,
      clientAllowedSans: ['scraper.lab'],
    });
    expect(config.headers).toEqual({ 'Strict-Transport-Security': 'max-age=31536000', 'X-Frame-Options': 'deny' });
    expect(config.http2).toBe(false);
    expect([...config.basicAuthUsers]).toEqual([['alice', ALICE]]);
    expect(config.rateLimit).toBeNull();
  });

  it('reads rate_limit (a Go duration and a burst); an interval of 0 is no limit', () => {
    expect(parse('rate_limit:\n  interval: 1m30s\n  burst: 20\n').rateLimit).toEqual({ intervalMs: 90_000, burst: 20 });
    expect(parse('rate_limit:\n  interval: 0s\n  burst: 0\n').rateLimit).toBeNull();
    expect(parse('rate_limit: {}\n').rateLimit).toBeNull();
  });

  it('takes exporter-toolkit defaults: TLS 1.2 to 1.3, no client certificate, server cipher order, HTTP/2 on', () => {
    const config = parse('tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n');
    expect(config.tls).toMatchObject({ minVersion: 'TLS12', maxVersion: 'TLS13', clientAuthType: 'NoClientCert', clientCa: null, preferServerCipherSuites: true, cipherSuites: [] });
    expect(config.http2).toBe(true);
  });

  it.each(['', '# nothing\n', '---\n', 'tls_server_config:\n', 'tls_server_config: {}\nbasic_auth_users: {}\nhttp_server_config:\n  headers: {}\n'])(
    'an empty configuration (%j) is plain HTTP without authentication',
    (text) => {
      const config = parse(text);
      expect(config.tls).toBeNull();
      expect(config.basicAuthUsers.size).toBe(0);
      expect(config.headers).toEqual({});
    },
  );

  it('accepts inline PEM (cert, key, client_ca) and the old RequireClientCert spelling', () => {
    const config = parse('tls_server_config:\n  cert: "-----BEGIN CERTIFICATE-----"\n  key: k\n  client_ca: c\n  client_auth_type: RequireClientCert\n');
    expect(config.tls).toMatchObject({ cert: { pem: '-----BEGIN CERTIFICATE-----' }, key: { pem: 'k' }, clientCa: { pem: 'c' }, clientAuthType: 'RequireAnyClientCert' });
  });

  it('accepts the three bcrypt variants and numeric user names', () => {
    const body = ALICE.slice(7);
    const config = parse(`basic_auth_users:\n  a: $2a$10$${body}\n  b: $2b$04$${body}\n  1234: $2y$31$${body}\n`);
    expect([...config.basicAuthUsers.keys()]).toEqual(['a', 'b', '1234']);
  });

  it('resolves YAML aliases', () => {
    const config = parse(`basic_auth_users:\n  alice: &h ${ALICE}\n  bob: *h\n`);
    expect(config.basicAuthUsers.get('bob')).toBe(ALICE);
  });

  it('resolves any relative file name under the base directory and keeps absolute ones', () => {
    const segment = fc.stringMatching(/^[a-z0-9_.-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.boolean(), (parts, absolute) => {
        const name = `${absolute ? '/' : ''}${parts.join('/')}`;
        const tls = parse(`tls_server_config:\n  cert_file: '${name}'\n  key_file: k\n`).tls!;
        expect(tls.cert).toEqual({ file: absolute ? name : `/etc/exporter/${parts.join('/')}` });
      }),
    );
  });

  // Every way a configuration is refused: the reason, the key, the line, and a one-line message naming them.
  it.each<[string, string, WebConfigError['reason'], string | undefined, number | undefined, RegExp]>([
    ['an unclosed list (reported where the text ends)', 'tls_server_config: [1\n', 'syntax', undefined, 2, /^web\.yml: line 2: /],
    ['a nested compact mapping', 'a: 1\ntls_server_config: cert_file: a\n', 'syntax', undefined, 2, /^web\.yml: line 2: Nested mappings/],
    ['duplicate key', 'basic_auth_users: {}\nbasic_auth_users: {}\n', 'syntax', undefined, 2, /unique/],
    ['two documents', 'a: 1\n---\nb: 2\n', 'syntax', undefined, 2, /multiple documents/],
    ['top level not a mapping', '- a\n', 'wrong_type', undefined, 1, /the configuration must be a mapping, not a list/],
    ['top level a string', 'hello\n', 'wrong_type', undefined, 1, /must be a mapping, not the string "hello"/],
    ['unknown top-level key', 'tls_config: {}\n', 'unknown_key', 'tls_config', 1, /unknown key .*known: tls_server_config/],
    ['unknown rate_limit key', 'rate_limit:\n  period: 1s\n', 'unknown_key', 'rate_limit.period', 2, /unknown key in rate_limit \(known: interval, burst\)/],
    ['rate_limit interval not a duration', 'rate_limit:\n  interval: 1 second\n  burst: 5\n', 'invalid_value', 'rate_limit.interval', 2, /"1 second" is not a duration/],
    ['negative rate_limit interval', 'rate_limit:\n  interval: -1s\n  burst: 5\n', 'invalid_value', 'rate_limit.interval', 2, /not a duration/],
    ['rate_limit burst a string', 'rate_limit:\n  interval: 1s\n  burst: many\n', 'wrong_type', 'rate_limit.burst', 3, /whole number, not the string "many"/],
    ['rate_limit burst a fraction', 'rate_limit:\n  interval: 1s\n  burst: 1.5\n', 'wrong_type', 'rate_limit.burst', 3, /whole number/],
    ['rate_limit without burst', 'rate_limit:\n  interval: 1s\n', 'invalid_value', 'rate_limit.burst', 2, /at least 1/],
    ['unknown TLS key', 'tls_server_config:\n  cert_file: a\n  key_fle: b\n', 'unknown_key', 'tls_server_config.key_fle', 3, /unknown key in tls_server_config/],
    ['unknown HTTP key', 'http_server_config:\n  http3: true\n', 'unknown_key', 'http_server_config.http3', 2, /unknown key/],
    ['tls section a list', 'tls_server_config: [a]\n', 'wrong_type', 'tls_server_config', 1, /must be a mapping, not a list/],
    ['cert_file a number', 'tls_server_config:\n  cert_file: 12\n  key_file: b\n', 'wrong_type', 'tls_server_config.cert_file', 2, /must be a string, not number 12/],
    ['cert_file a mapping', 'tls_server_config:\n  cert_file: {a: 1}\n', 'wrong_type', 'tls_server_config.cert_file', 2, /must be a string, not a mapping/],
    ['cipher_suites a string', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: TLS_AES_128_GCM_SHA256\n', 'wrong_type', 'tls_server_config.cipher_suites', 4, /must be a list/],
    ['cipher_suites item a number', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites:\n    - 5\n', 'wrong_type', 'tls_server_config.cipher_suites', 5, /must be a string/],
    ['prefer_server_cipher_suites a string', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  prefer_server_cipher_suites: "yes"\n', 'wrong_type', 'tls_server_config.prefer_server_cipher_suites', 4, /true or false/],
    ['http2 a number', 'http_server_config:\n  http2: 1\n', 'wrong_type', 'http_server_config.http2', 2, /true or false, not number 1/],
    ['users a list', 'basic_auth_users:\n  - alice\n', 'wrong_type', 'basic_auth_users', 2, /mapping of user name/],
    ['user name a list', `basic_auth_users:\n  [a]: ${ALICE}\n`, 'wrong_type', 'basic_auth_users', 2, /plain value/],
    ['headers a list', 'http_server_config:\n  headers: [a]\n', 'wrong_type', 'http_server_config.headers', 2, /mapping of header name/],
    ['header value a number', 'http_server_config:\n  headers:\n    X-XSS-Protection: 1\n', 'wrong_type', 'http_server_config.headers.X-XSS-Protection', 3, /must be a string/],
    ['cert and cert_file', 'tls_server_config:\n  cert: x\n  cert_file: a\n  key_file: b\n', 'invalid_value', 'tls_server_config.cert_file', 3, /either cert or cert_file/],
    ['no cert_file', 'tls_server_config:\n  key_file: b\n', 'invalid_value', 'tls_server_config', 2, /missing cert_file/],
    ['no key_file', 'tls_server_config:\n  cert_file: a\n', 'invalid_value', 'tls_server_config', 2, /missing key_file/],
    ['client auth alone', 'tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n', 'invalid_value', 'tls_server_config', 2, /missing cert_file/],
    ['TLS options without a certificate', 'tls_server_config:\n  min_version: TLS13\n', 'invalid_value', 'tls_server_config.min_version', 2, /TLS is off/],
    ['unknown client auth type', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Always\n', 'invalid_value', 'tls_server_config.client_auth_type', 4, /unknown client auth type "Always" \(one of NoClientCert/],
    ['CA without client auth', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca.crt\n', 'invalid_value', 'tls_server_config.client_ca_file', 4, /client_auth_type is NoClientCert/],
    ['CA with NoClientCert', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca: x\n  client_auth_type: NoClientCert\n', 'invalid_value', 'tls_server_config.client_ca', 4, /client CA is set/],
    ['unknown TLS version', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n', 'invalid_value', 'tls_server_config.min_version', 4, /unknown TLS version "TLS14" \(one of TLS10, TLS11, TLS12, TLS13\)/],
    ['lower-case TLS version', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  max_version: tls13\n', 'invalid_value', 'tls_server_config.max_version', 4, /unknown TLS version/],
    ['max below min', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n', 'invalid_value', 'tls_server_config.max_version', 5, /max_version TLS12 is below min_version TLS13/],
    ['unknown cipher', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [ECDHE-RSA-AES128-GCM-SHA256]\n', 'invalid_value', 'tls_server_config.cipher_suites', 4, /unknown cipher suite "ECDHE-RSA-AES128-GCM-SHA256"/],
    ['insecure cipher', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites:\n    - TLS_RSA_WITH_RC4_128_SHA\n', 'invalid_value', 'tls_server_config.cipher_suites', 5, /insecure suites are refused/],
    ['unknown curve', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [P-256]\n', 'invalid_value', 'tls_server_config.curve_preferences', 4, /unknown curve "P-256" \(one of CurveP256/],
    ['SANs without a required certificate', 'tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: VerifyClientCertIfGiven\n  client_allowed_sans: [x]\n', 'invalid_value', 'tls_server_config.client_allowed_sans', 5, /needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert/],
    ['plain-text password', 'basic_auth_users:\n  alice: alice123\n', 'invalid_value', 'basic_auth_users.alice', 2, /not a bcrypt hash/],
    ['no hash', 'basic_auth_users:\n  alice:\n', 'invalid_value', 'basic_auth_users.alice', 2, /not a bcrypt hash/],
    ['bcrypt cost out of range', `basic_auth_users:\n  alice: $2y$03$${ALICE.slice(7)}\n`, 'invalid_value', 'basic_auth_users.alice', 2, /cost 04-31/],
    ['short hash', `basic_auth_users:\n  alice: ${ALICE.slice(0, -1)}\n`, 'invalid_value', 'basic_auth_users.alice', 2, /not a bcrypt hash/],
    ['$2x$ variant', `basic_auth_users:\n  alice: $2x$12$${ALICE.slice(7)}\n`, 'invalid_value', 'basic_auth_users.alice', 2, /not a bcrypt hash/],
    ['user with a colon', `basic_auth_users:\n  "a:b": ${ALICE}\n`, 'invalid_value', 'basic_auth_users.a:b', 2, /cannot contain ":"/],
    ['header not allowed', 'http_server_config:\n  headers:\n    Content-Type: text/html\n', 'invalid_value', 'http_server_config.headers', 3, /header "Content-Type" can not be configured \(only Strict-Transport-Security/],
    ['Authorization header', 'http_server_config:\n  headers:\n    WWW-Authenticate: None\n', 'invalid_value', 'http_server_config.headers', 3, /can not be configured/],
    ['enumerated header value', 'http_server_config:\n  headers:\n    X-Frame-Options: allow-from x\n', 'invalid_value', 'http_server_config.headers.X-Frame-Options', 3, /is not one of "deny", "sameorigin"/],
    ['nosniff only', 'http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n', 'invalid_value', 'http_server_config.headers.X-Content-Type-Options', 3, /"nosniff"/],
    ['header with a newline', 'http_server_config:\n  headers:\n    Content-Security-Policy: "a\\r\\nSet-Cookie: x"\n', 'invalid_value', 'http_server_config.headers.Content-Security-Policy', 3, /control characters/],
    ['empty header value', 'http_server_config:\n  headers:\n    Content-Security-Policy: ""\n', 'invalid_value', 'http_server_config.headers.Content-Security-Policy', 3, /non-empty/],
    ['header twice in two spellings', 'http_server_config:\n  headers:\n    X-XSS-Protection: "0"\n    x-xss-protection: "1"\n', 'invalid_value', 'http_server_config.headers.X-XSS-Protection', 4, /set twice/],
  ])('refuses %s', (_name, text, reason, key, line, message) => {
    const error = refusal(text);
    expect(error.reason).toBe(reason);
    expect(error.key).toBe(key);
    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^web\.yml: /);
    expect(error.message).not.toMatch(/[\r\n]/);
  });

  it('never throws anything but a one-line WebConfigError, whatever the text', () => {
    const yamlish = fc.stringMatching(/^[a-z_:\- \n[\]{}'"#&*!|>%@`0-9$.]{0,60}$/);
    fc.assert(
      fc.property(fc.oneof(fc.string(), yamlish), (text) => {
        try {
          parse(text);
        } catch (error) {
          expect(error).toBeInstanceOf(WebConfigError);
          expect((error as Error).message).not.toMatch(/[\r\n]/);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('cipher suite names', () => {
  it("maps each Go suite exporter-toolkit accepts to a suite this Node's OpenSSL offers", () => {
    const offered = new Set(getCiphers().map((name) => name.toUpperCase()));
    for (const [goName, openssl] of OPENSSL_CIPHER_SUITES) {
      expect(offered.has(openssl ?? goName), `${goName} -> ${openssl}`).toBe(true);
    }
  });

  it('keeps the TLS 1.3 suites whatever the list (as Go does) and is undefined for an empty list', () => {
    expect(opensslCipherList([])).toBeUndefined();
    expect(opensslCipherList(['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'])?.split(':')).toEqual([
      'TLS_AES_256_GCM_SHA384',
      'TLS_CHACHA20_POLY1305_SHA256',
      'TLS_AES_128_GCM_SHA256',
      'ECDHE-RSA-AES128-GCM-SHA256',
    ]);
  });
});
