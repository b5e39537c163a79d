import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { WebConfigError, WebConfigFileError } from './errors.js';
import { parseWebConfig, type PemSource, type WebConfig } from './parse.js';

/** The certificate, key and client CA bundle a TLS configuration names, as read. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** null: no client CA (client certificates, if asked for, are checked against the runtime's root CAs). */
  readonly clientCa: Buffer | null;
}

/** A web configuration file, parsed, with the files it names read and checked. */
export interface LoadedWebConfig {
  /** The configuration file, absolute. */
  readonly path: string;
  readonly config: WebConfig;
  /** null: plain HTTP. */
  readonly tlsMaterial: TlsMaterial | null;
  /** Every file read: the configuration and the certificate files it names (what a reloader watches). */
  readonly files: readonly string[];
}

/** How loadWebConfig reads a file; inject one to test failures. */
export interface WebConfigIo {
  /** Reads at most `maxBytes` bytes; rejects with an errno error (`code`) when the file cannot be read. */
  readFile(path: string, maxBytes: number): Promise<Buffer>;
}

/** Options for loadWebConfig. */
export interface LoadWebConfigOptions {
  readonly io?: WebConfigIo;
}

/** A configuration or a PEM bundle larger than this is not one (and /dev/zero must not be read forever). */
export const MAX_WEB_CONFIG_FILE_BYTES = 1024 * 1024;

/** node:fs, reading at most `maxBytes` (a larger file fails with EFBIG). */
export const nodeWebConfigIo: WebConfigIo = {
  async readFile(path, maxBytes) {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(maxBytes + 1);
      let length = 0;
      for (;;) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
        if (length > maxBytes) throw Object.assign(new Error(`${path}: larger than ${maxBytes} bytes`), { code: 'EFBIG' });
      }
      return buffer.subarray(0, length);
    } finally {
      await handle.close();
    }
  },
};

/**
 * Reads a web configuration file and the certificate, key and CA files it names (relative to its directory), and
 * checks that they make a working TLS setup (the key matches the certificate, the CA bundle holds certificates).
 * Throws a WebConfigFileError naming a file that is missing or unreadable, or a WebConfigError for the rest.
 */
export async function loadWebConfig(path: string, options: LoadWebConfigOptions = {}): Promise<LoadedWebConfig> {
  const io = options.io ?? nodeWebConfigIo;
  const absolute = resolve(path);
  const text = await readOrThrow(io, absolute, 'web configuration file');
  const config = parseWebConfig(text.toString('utf8'), { baseDir: dirname(absolute), sourceName: absolute });
  const files = [absolute];
  if (config.tls === null) return { path: absolute, config, tlsMaterial: null, files };
  const read = async (source: PemSource, what: string): Promise<Buffer> => {
    if ('pem' in source) return Buffer.from(source.pem, 'utf8');
    files.push(source.file);
    return readOrThrow(io, source.file, what);
  };
  const cert = await read(config.tls.cert, 'tls_server_config.cert_file');
  const key = await read(config.tls.key, 'tls_server_config.key_file');
  const clientCa = config.tls.clientCa === null ? null : await read(config.tls.clientCa, 'tls_server_config.client_ca_file');
  const tlsMaterial: TlsMaterial = { cert, key, clientCa };
  checkTlsMaterial(absolute, tlsMaterial);
  return { path: absolute, config, tlsMaterial, files };
}

async function readOrThrow(io: WebConfigIo, file: string, what: string): Promise<Buffer> {
  try {
    return await io.readFile(file, MAX_WEB_CONFIG_FILE_BYTES);
  } catch (error) {
    const code = typeof (error as { code?: unknown } | null)?.code === 'string' ? (error as { code: string }).code : 'UNKNOWN';
    throw new WebConfigFileError(file, what, code, error);
  }
}

/** What OpenSSL would refuse at the first handshake, refused now, while the exporter can still exit 2 with it. */
function checkTlsMaterial(source: string, material: TlsMaterial): void {
  try {
    createSecureContext({ cert: material.cert, key: material.key });
  } catch (error) {
    throw new WebConfigError(`${source}: tls_server_config: cannot use cert_file and key_file together: ${(error as Error).message}`, 'bad_certificate', {
      key: 'tls_server_config.cert_file',
      cause: error,
    });
  }
  if (material.clientCa !== null) {
    const blocks = material.clientCa.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    try {
      if (blocks.length === 0) throw new Error('no PEM certificate in it');
      for (const block of blocks) new X509Certificate(block);
    } catch (error) {
      throw new WebConfigError(`${source}: tls_server_config.client_ca_file: not a PEM CA bundle: ${(error as Error).message}`, 'bad_certificate', {
        key: 'tls_server_config.client_ca_file',
        cause: error,
      });
    }
  }
}
