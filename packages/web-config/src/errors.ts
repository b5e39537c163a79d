/** Why a web configuration was refused: stable strings, fit for a log field or a metric label. */
export type WebConfigErrorReason =
  | 'syntax'
  | 'unknown_key'
  | 'wrong_type'
  | 'invalid_value'
  | 'missing_file'
  | 'unreadable_file'
  | 'bad_certificate'
  | 'needs_restart';

/**
 * Base class of every error this package reports. The message is one line, fit for an exporter to print before it
 * exits 2: `web.yml: line 3: tls_server_config.min_version: unknown TLS version "TLS14" (...)`.
 */
export class WebConfigError extends Error {
  override readonly name: string = 'WebConfigError';
  readonly reason: WebConfigErrorReason;
  /** The dotted key the problem is at (`tls_server_config.cert_file`), when it is at one. */
  readonly key: string | undefined;
  /** 1-based line in the configuration text, when known. */
  readonly line: number | undefined;

  constructor(message: string, reason: WebConfigErrorReason, options: { key?: string; line?: number; cause?: unknown } = {}) {
    // One line whatever went in: a YAML parser's message or an OpenSSL error may carry newlines.
    super(message.replace(/\s*[\r\n]+\s*/g, ' ').trim(), options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.key = options.key;
    this.line = options.line;
  }
}

/** A file the configuration needs (the configuration itself, a certificate, a key, a CA bundle) could not be read. */
export class WebConfigFileError extends WebConfigError {
  override readonly name = 'WebConfigFileError';
  /** The absolute path that failed. */
  readonly file: string;
  /** The errno code, e.g. `ENOENT`, `EACCES`, or `UNKNOWN`. */
  readonly code: string;

  constructor(file: string, what: string, code: string, cause: unknown) {
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    super(`${what} ${file}: ${describeCode(code)}`, missing ? 'missing_file' : 'unreadable_file', {
      cause,
    });
    this.file = file;
    this.code = code;
  }
}

function describeCode(code: string): string {
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EFBIG':
      return 'EFBIG (too large for a configuration or PEM file)';
    default:
      return code;
  }
}
