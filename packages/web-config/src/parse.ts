import { isAbsolute, resolve } from 'node:path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import { WebConfigError, type WebConfigErrorReason } from './errors.js';
import { parseGoDurationMs, type RateLimitConfig } from './rate-limit.js';
import {
  CLIENT_AUTH_TYPES,
  NODE_TLS_VERSIONS,
  OPENSSL_CIPHER_SUITES,
  OPENSSL_CURVES,
  type ClientAuthType,
  type CurveName,
  type TlsVersionName,
} from './tls-names.js';

/** PEM text given inline (`cert`, `key`, `client_ca`) or a file to read it from (`*_file`, made absolute). */
export type PemSource = { readonly file: string } | { readonly pem: string };

/** `tls_server_config`, validated. */
export interface TlsServerConfig {
  readonly cert: PemSource;
  readonly key: PemSource;
  readonly clientCa: PemSource | null;
  readonly clientAuthType: ClientAuthType;
  /** Default `TLS12`, as exporter-toolkit. */
  readonly minVersion: TlsVersionName;
  /** Default `TLS13`. */
  readonly maxVersion: TlsVersionName;
  /** Go suite names as written; empty: the runtime's defaults. */
  readonly cipherSuites: readonly string[];
  readonly curvePreferences: readonly CurveName[];
  /** Default true, as exporter-toolkit. */
  readonly preferServerCipherSuites: boolean;
  /** A verified client certificate must carry one of these SANs (DNS, email, IP or URI); empty: any. */
  readonly clientAllowedSans: readonly string[];
}

/** An exporter-toolkit web configuration, validated. */
export interface WebConfig {
  /** null: serve plain HTTP (no `tls_server_config`, or one that sets nothing). */
  readonly tls: TlsServerConfig | null;
  /** `basic_auth_users`: user name -> bcrypt hash. Empty: no authentication. */
  readonly basicAuthUsers: ReadonlyMap<string, string>;
  /** `http_server_config.headers`, names in their canonical spelling. */
  readonly headers: Readonly<Record<string, string>>;
  /** `http_server_config.http2` (default true); this package serves HTTP/1.1 over TLS either way. */
  readonly http2: boolean;
  /** `rate_limit`; null: no limit (none set, or an interval of 0). */
  readonly rateLimit: RateLimitConfig | null;
}

/** Options for parseWebConfig. */
export interface ParseWebConfigOptions {
  /** Relative `*_file` paths resolve against this: the directory of the configuration file. */
  readonly baseDir: string;
  /** Names the text in messages (the file path); default `web config`. */
  readonly sourceName?: string;
}

/**
 * The headers exporter-toolkit lets a configuration set, with the values allowed where the header is an enumeration.
 * Everything else is refused: a configuration must not override what the exporter itself answers.
 */
export const CONFIGURABLE_HEADERS: ReadonlyMap<string, readonly string[] | null> = new Map<string, readonly string[] | null>([
  ['Strict-Transport-Security', null],
  ['X-Content-Type-Options', ['nosniff']],
  ['X-Frame-Options', ['deny', 'sameorigin']],
  ['X-XSS-Protection', null],
  ['Content-Security-Policy', null],
]);

/** A bcrypt hash as htpasswd (`$2y$`), OpenBSD (`$2b$`) and older libraries (`$2a$`) write it; cost 4 to 31. */
const BCRYPT_HASH = /^\$2[aby]\$(?:0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

const TOP_KEYS = ['tls_server_config', 'http_server_config', 'basic_auth_users', 'rate_limit'] as const;
const RATE_LIMIT_KEYS = ['interval', 'burst'] as const;
const TLS_KEYS = [
  'cert',
  'key',
  'client_ca',
  'cert_file',
  'key_file',
  'client_auth_type',
  'client_ca_file',
  'cipher_suites',
  'curve_preferences',
  'min_version',
  'max_version',
  'prefer_server_cipher_suites',
  'client_allowed_sans',
] as const;
const HTTP_KEYS = ['http2', 'headers'] as const;

const VERSION_ORDER: readonly TlsVersionName[] = ['TLS10', 'TLS11', 'TLS12', 'TLS13'];

/**
 * Parses exporter-toolkit's web configuration (YAML). Pure: paths are resolved against `baseDir`, nothing is read.
 * An empty text is a valid configuration that changes nothing (plain HTTP, no authentication). Throws a
 * WebConfigError with a one-line message for a syntax error, an unknown key, a wrong type or an invalid value.
 */
export function parseWebConfig(yamlText: string, options: ParseWebConfigOptions): WebConfig {
  const lines = new LineCounter();
  const source = options.sourceName ?? 'web config';
  const doc = parseDocument(yamlText, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, merge: false, schema: 'core' });
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    const line = lines.linePos(firstError.pos[0]).line;
    const message = firstError.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new WebConfigError(`${source}: line ${line}: ${message}`, 'syntax', { line, cause: firstError });
  }
  const reader = new Reader(doc, lines, source, options.baseDir);
  return reader.config();
}

interface Entry {
  readonly key: string;
  readonly node: YamlNode | null;
  readonly keyNode: YamlNode;
}

class Reader {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly source: string,
    private readonly baseDir: string,
  ) {}

  config(): WebConfig {
    const root = this.resolve(this.doc.contents as YamlNode | null);
    if (root === null || (isScalar(root) && root.value === null)) return { tls: null, basicAuthUsers: new Map(), headers: {}, http2: true, rateLimit: null };
    const top = this.mapping(root, '', TOP_KEYS);
    const tlsEntries = top.get('tls_server_config');
    const httpEntries = top.get('http_server_config');
    const usersEntry = top.get('basic_auth_users');
    const rateEntry = top.get('rate_limit');
    const http = httpEntries ? this.mapping(httpEntries.node, 'http_server_config', HTTP_KEYS) : new Map<string, Entry>();
    return {
      tls: tlsEntries ? this.tls(this.mapping(tlsEntries.node, 'tls_server_config', TLS_KEYS), tlsEntries.node) : null,
      basicAuthUsers: usersEntry ? this.users(usersEntry.node) : new Map(),
      headers: http.has('headers') ? this.headers(http.get('headers')!.node) : {},
      http2: this.boolean(http.get('http2'), 'http_server_config.http2') ?? true,
      rateLimit: rateEntry ? this.rateLimit(this.mapping(rateEntry.node, 'rate_limit', RATE_LIMIT_KEYS), rateEntry.node) : null,
    };
  }

  private rateLimit(entries: ReadonlyMap<string, Entry>, node: YamlNode | null): RateLimitConfig | null {
    const intervalText = this.string(entries.get('interval'), 'rate_limit.interval');
    const intervalMs = intervalText === undefined ? 0 : parseGoDurationMs(intervalText);
    if (intervalMs === null) this.fail(entries.get('interval')!.node, 'rate_limit.interval', `${JSON.stringify(intervalText)} is not a duration (e.g. 1s, 100ms, 1m30s)`, 'invalid_value');
    const burstEntry = entries.get('burst');
    const burstNode = this.resolve(burstEntry?.node);
    const burst = burstNode === null || (isScalar(burstNode) && burstNode.value === null) ? 0 : isScalar(burstNode) ? burstNode.value : undefined;
    if (typeof burst !== 'number' || !Number.isSafeInteger(burst)) this.fail(burstNode, 'rate_limit.burst', `must be a whole number, not ${describe(burstNode)}`, 'wrong_type');
    // As exporter-toolkit: an interval of 0 (or none) is no limit.
    if (intervalMs === 0) return null;
    // A Go limiter with burst 0 refuses every request: surely not what was meant.
    if (burst < 1) this.fail(burstEntry?.node ?? node, 'rate_limit.burst', 'must be at least 1 when an interval is set', 'invalid_value');
    return { intervalMs, burst };
  }

  private tls(entries: ReadonlyMap<string, Entry>, node: YamlNode | null): TlsServerConfig | null {
    const path = (key: string) => `tls_server_config.${key}`;
    const text = (key: string) => {
      const value = this.string(entries.get(key), path(key));
      return value === undefined || value === '' ? undefined : value;
    };
    const pem = (inline: string, file: string): PemSource | null => {
      const pemText = text(inline);
      const fileName = text(file);
      if (pemText !== undefined && fileName !== undefined) this.fail(entries.get(file)!.keyNode, path(file), `set either ${inline} or ${file}, not both`, 'invalid_value');
      if (fileName !== undefined) return { file: isAbsolute(fileName) ? fileName : resolve(this.baseDir, fileName) };
      if (pemText !== undefined) return { pem: pemText };
      return null;
    };
    const cert = pem('cert', 'cert_file');
    const key = pem('key', 'key_file');
    const clientCa = pem('client_ca', 'client_ca_file');
    const authText = text('client_auth_type');
    // As exporter-toolkit: a section that names none of these is no TLS at all (plain HTTP).
    if (cert === null && key === null && clientCa === null && authText === undefined) {
      for (const [name, entry] of entries) {
        const value = this.resolve(entry.node);
        const empty = value === null || (isScalar(value) && (value.value === null || value.value === '')) || (isSeq(value) && value.items.length === 0);
        if (!empty) this.fail(entry.keyNode, path(name), 'set without cert_file and key_file, so TLS is off and this would be ignored', 'invalid_value');
      }
      return null;
    }
    const where = node ?? this.doc.contents;
    if (cert === null) this.fail(where, 'tls_server_config', 'missing cert_file (or cert)', 'invalid_value');
    if (key === null) this.fail(where, 'tls_server_config', 'missing key_file (or key)', 'invalid_value');
    let clientAuthType: ClientAuthType = 'NoClientCert';
    if (authText !== undefined) {
      const known = CLIENT_AUTH_TYPES.get(authText);
      if (known === undefined) {
        this.fail(entries.get('client_auth_type')!.node, path('client_auth_type'), `unknown client auth type ${JSON.stringify(authText)} (one of ${[...CLIENT_AUTH_TYPES.keys()].join(', ')})`, 'invalid_value');
      }
      clientAuthType = known;
    }
    if (clientCa !== null && clientAuthType === 'NoClientCert') {
      const entry = entries.get('client_ca_file') ?? entries.get('client_ca')!;
      this.fail(entry.keyNode, path(entry.key), 'a client CA is set but client_auth_type is NoClientCert (set client_auth_type, e.g. RequireAndVerifyClientCert)', 'invalid_value');
    }
    const minVersion = this.version(entries.get('min_version'), path('min_version')) ?? 'TLS12';
    const maxVersion = this.version(entries.get('max_version'), path('max_version')) ?? 'TLS13';
    if (VERSION_ORDER.indexOf(minVersion) > VERSION_ORDER.indexOf(maxVersion)) {
      this.fail(entries.get('max_version')?.node ?? entries.get('min_version')!.node, path('max_version'), `max_version ${maxVersion} is below min_version ${minVersion}`, 'invalid_value');
    }
    const cipherSuites = this.list(entries.get('cipher_suites'), path('cipher_suites'), (name, item) => {
      if (!OPENSSL_CIPHER_SUITES.has(name)) this.fail(item, path('cipher_suites'), `unknown cipher suite ${JSON.stringify(name)} (Go's names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; Go's insecure suites are refused)`, 'invalid_value');
      return name;
    });
    const curvePreferences = this.list(entries.get('curve_preferences'), path('curve_preferences'), (name, item) => {
      if (!Object.hasOwn(OPENSSL_CURVES, name)) this.fail(item, path('curve_preferences'), `unknown curve ${JSON.stringify(name)} (one of ${Object.keys(OPENSSL_CURVES).join(', ')})`, 'invalid_value');
      return name as CurveName;
    });
    const clientAllowedSans = this.list(entries.get('client_allowed_sans'), path('client_allowed_sans'), (name) => name);
    if (entries.has('client_allowed_sans') && clientAuthType !== 'RequireAnyClientCert' && clientAuthType !== 'RequireAndVerifyClientCert') {
      this.fail(entries.get('client_allowed_sans')!.keyNode, path('client_allowed_sans'), 'needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert', 'invalid_value');
    }
    return {
      cert: cert!,
      key: key!,
      clientCa,
      clientAuthType,
      minVersion,
      maxVersion,
      cipherSuites,
      curvePreferences,
      preferServerCipherSuites: this.boolean(entries.get('prefer_server_cipher_suites'), path('prefer_server_cipher_suites')) ?? true,
      clientAllowedSans,
    };
  }

  private users(node: YamlNode | null): ReadonlyMap<string, string> {
    const users = new Map<string, string>();
    const value = this.resolve(node);
    if (value === null || (isScalar(value) && value.value === null)) return users;
    if (!isMap(value)) this.fail(value, 'basic_auth_users', `must be a mapping of user name to bcrypt hash, not ${describe(value)}`, 'wrong_type');
    for (const pair of value.items) {
      const keyNode = pair.key as YamlNode;
      const userNode = this.resolve(keyNode);
      if (!isScalar(userNode) || userNode.value === null || typeof userNode.value === 'object') this.fail(keyNode, 'basic_auth_users', 'a user name must be a plain value', 'wrong_type');
      const user = String(userNode.value);
      const key = `basic_auth_users.${user}`;
      // Basic authentication splits user and password at the first colon: such a user could never log in.
      if (user.includes(':')) this.fail(keyNode, key, 'a user name cannot contain ":"', 'invalid_value');
      const hash = this.string({ key: user, node: pair.value as YamlNode | null, keyNode }, key);
      if (hash === undefined || !BCRYPT_HASH.test(hash)) {
        this.fail((pair.value as YamlNode | null) ?? keyNode, key, 'not a bcrypt hash ($2y$, $2b$ or $2a$, cost 04-31, 53 characters after the cost; make one with htpasswd -nBC 10 USER)', 'invalid_value');
      }
      users.set(user, hash);
    }
    return users;
  }

  private headers(node: YamlNode | null): Readonly<Record<string, string>> {
    const headers: Record<string, string> = {};
    const value = this.resolve(node);
    if (value === null || (isScalar(value) && value.value === null)) return headers;
    if (!isMap(value)) this.fail(value, 'http_server_config.headers', `must be a mapping of header name to value, not ${describe(value)}`, 'wrong_type');
    for (const pair of value.items) {
      const keyNode = pair.key as YamlNode;
      const nameNode = this.resolve(keyNode);
      const name = isScalar(nameNode) && typeof nameNode.value === 'string' ? nameNode.value : undefined;
      const canonical = [...CONFIGURABLE_HEADERS.keys()].find((known) => known.toLowerCase() === name?.toLowerCase());
      if (canonical === undefined) {
        this.fail(keyNode, `http_server_config.headers`, `header ${JSON.stringify(name ?? String(isScalar(nameNode) ? nameNode.value : '?'))} can not be configured (only ${[...CONFIGURABLE_HEADERS.keys()].join(', ')})`, 'invalid_value');
      }
      if (Object.hasOwn(headers, canonical)) this.fail(keyNode, `http_server_config.headers.${canonical}`, 'set twice', 'invalid_value');
      const key = `http_server_config.headers.${canonical}`;
      const headerValue = this.string({ key: canonical, node: pair.value as YamlNode | null, keyNode }, key) ?? '';
      // A control character would let a value smuggle a second header or fail every response.
      if (/[\0-\x08\x0a-\x1f\x7f]/.test(headerValue) || headerValue.trim() === '') this.fail((pair.value as YamlNode | null) ?? keyNode, key, 'must be a non-empty value without control characters', 'invalid_value');
      const allowed = CONFIGURABLE_HEADERS.get(canonical);
      if (allowed && !allowed.includes(headerValue.toLowerCase())) {
        this.fail(pair.value as YamlNode, key, `${JSON.stringify(headerValue)} is not one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`, 'invalid_value');
      }
      headers[canonical] = headerValue;
    }
    return headers;
  }

  private version(entry: Entry | undefined, key: string): TlsVersionName | undefined {
    const value = this.string(entry, key);
    if (value === undefined || value === '') return undefined;
    if (!Object.hasOwn(NODE_TLS_VERSIONS, value)) this.fail(entry!.node, key, `unknown TLS version ${JSON.stringify(value)} (one of ${VERSION_ORDER.join(', ')})`, 'invalid_value');
    return value as TlsVersionName;
  }

  private list<T>(entry: Entry | undefined, key: string, each: (value: string, node: YamlNode) => T): T[] {
    if (entry === undefined) return [];
    const value = this.resolve(entry.node);
    if (value === null || (isScalar(value) && value.value === null)) return [];
    if (!isSeq(value)) this.fail(value, key, `must be a list, not ${describe(value)}`, 'wrong_type');
    return value.items.map((item) => {
      const text = this.string({ key: entry.key, node: item as YamlNode, keyNode: entry.keyNode }, key);
      if (text === undefined) this.fail(item as YamlNode, key, 'a list item must be a string', 'wrong_type');
      return each(text, item as YamlNode);
    });
  }

  private string(entry: Entry | undefined, key: string): string | undefined {
    if (entry === undefined) return undefined;
    const value = this.resolve(entry.node);
    if (value === null || (isScalar(value) && value.value === null)) return undefined;
    if (!isScalar(value) || typeof value.value !== 'string') this.fail(value ?? entry.keyNode, key, `must be a string, not ${describe(value)}`, 'wrong_type');
    return value.value as string;
  }

  private boolean(entry: Entry | undefined, key: string): boolean | undefined {
    if (entry === undefined) return undefined;
    const value = this.resolve(entry.node);
    if (value === null || (isScalar(value) && value.value === null)) return undefined;
    if (!isScalar(value) || typeof value.value !== 'boolean') this.fail(value ?? entry.keyNode, key, `must be true or false, not ${describe(value)}`, 'wrong_type');
    return value.value as boolean;
  }

  /** The entries of a mapping, every key known; `path` names it in messages (`''` is the top level). */
  private mapping(node: YamlNode | null, path: string, known: readonly string[]): Map<string, Entry> {
    const value = this.resolve(node);
    const entries = new Map<string, Entry>();
    if (value === null || (isScalar(value) && value.value === null)) return entries;
    const what = path === '' ? 'the configuration' : path;
    if (!isMap(value)) this.fail(value, path, `${path === '' ? 'the configuration ' : ''}must be a mapping, not ${describe(value)}`, 'wrong_type');
    for (const pair of value.items) {
      const keyNode = pair.key as YamlNode;
      const keyValue = this.resolve(keyNode);
      const key = isScalar(keyValue) ? String(keyValue.value) : '?';
      const full = path === '' ? key : `${path}.${key}`;
      if (!known.includes(key)) {
        this.fail(keyNode, full, `unknown key in ${what} (known: ${known.join(', ')})`, 'unknown_key');
      }
      entries.set(key, { key, node: pair.value as YamlNode | null, keyNode });
    }
    return entries;
  }

  private resolve(node: YamlNode | null | undefined): YamlNode | null {
    if (node === null || node === undefined) return null;
    return isAlias(node) ? ((node.resolve(this.doc) as YamlNode | undefined) ?? null) : node;
  }

  private fail(node: YamlNode | null | undefined, key: string, problem: string, reason: WebConfigErrorReason): never {
    const offset = node?.range?.[0];
    const line = offset === undefined ? undefined : this.lines.linePos(offset).line;
    const at = line === undefined ? '' : `line ${line}: `;
    const prefix = key === '' ? '' : `${key}: `;
    throw new WebConfigError(`${this.source}: ${at}${prefix}${problem}`, reason, { key: key === '' ? undefined : key, line });
  }
}

function describe(node: YamlNode | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const value = node.value;
    if (value === null) return 'null';
    if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
    return `${typeof value} ${String(value)}`;
  }
  return 'something else';
}
