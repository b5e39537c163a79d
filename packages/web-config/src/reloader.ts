import { stat } from 'node:fs/promises';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import { WebConfigError } from './errors.js';
import { loadWebConfig, type LoadedWebConfig, type WebConfigIo } from './load.js';
import { clientCertificatePolicy, createSecureContextOptions, enforceClientCertificates } from './tls.js';

/** Options for createWebConfigReloader. */
export interface WebConfigReloaderOptions {
  /**
   * How often to look at the files (size, mtime, inode) for a change; 0 turns polling off (reload() only). Default
   * 5000. Polling, not fs.watch: certificate tools and Kubernetes replace files by rename, which a watch loses.
   */
  readonly pollIntervalMs?: number;
  /** Called after each reload that took effect. */
  readonly onReload?: (loaded: LoadedWebConfig) => void;
  /** Called when a reload failed; the previous configuration stays in force. */
  readonly onError?: (error: WebConfigError) => void;
  readonly io?: WebConfigIo;
}

/** What a reload did: `loaded` is the configuration in force afterwards (the old one when it failed). */
export type WebConfigReloadOutcome =
  | { readonly ok: true; readonly loaded: LoadedWebConfig }
  | { readonly ok: false; readonly error: WebConfigError; readonly loaded: LoadedWebConfig };

/** Keeps a loaded web configuration current and applies it to live TLS servers. */
export interface WebConfigReloader {
  /** The configuration in force. */
  current(): LoadedWebConfig;
  /** Re-reads the file and the files it names now (on SIGHUP); a failure keeps the previous configuration. */
  reload(): Promise<WebConfigReloadOutcome>;
  /**
   * Keeps `server` (an https or tls server made with createHttpsServerOptions) on the configuration in force: each
   * reload swaps its secure context, so new connections see a rotated certificate without a restart, and the client
   * certificate policy follows. Returns a function that detaches it.
   */
  attach(server: TlsServer): () => void;
  /** Stops polling. */
  close(): void;
}

/**
 * Builds a reloader from a configuration loadWebConfig returned. Reloads run one at a time. Turning TLS on or off
 * needs a restart (a listening socket cannot change protocol): such a reload fails and keeps the old configuration.
 */
export function createWebConfigReloader(initial: LoadedWebConfig, options: WebConfigReloaderOptions = {}): WebConfigReloader {
  let current = initial;
  const servers = new Set<TlsServer>();
  let chain: Promise<unknown> = Promise.resolve();
  let signatures: Promise<string> | undefined;

  const apply = (server: TlsServer, loaded: LoadedWebConfig) => {
    if (loaded.config.tls === null) return;
    server.setSecureContext(createSecureContextOptions(loaded));
    // Node reads these two from the server for each new connection.
    Object.assign(server, clientCertificatePolicy(loaded.config.tls));
  };

  const reloadNow = async (): Promise<WebConfigReloadOutcome> => {
    try {
      const next = await loadWebConfig(current.path, options.io === undefined ? {} : { io: options.io });
      if ((next.config.tls === null) !== (current.config.tls === null)) {
        throw new WebConfigError(`${current.path}: turning TLS ${next.config.tls === null ? 'off' : 'on'} needs a restart; keeping the previous configuration`, 'needs_restart', {
          key: 'tls_server_config',
        });
      }
      // Everything OpenSSL will be given is tried first, so a failure cannot leave one server half-updated.
      if (next.config.tls !== null) {
        try {
          createSecureContext(createSecureContextOptions(next));
        } catch (error) {
          throw new WebConfigError(`${next.path}: tls_server_config: ${(error as Error).message}`, 'bad_certificate', { key: 'tls_server_config', cause: error });
        }
      }
      for (const server of servers) apply(server, next);
      current = next;
      options.onReload?.(next);
      return { ok: true, loaded: next };
    } catch (caught) {
      const error = caught instanceof WebConfigError ? caught : new WebConfigError(`${current.path}: reload failed: ${String((caught as Error)?.message ?? caught)}`, 'invalid_value', { cause: caught });
      options.onError?.(error);
      return { ok: false, error, loaded: current };
    }
  };

  const reload = (): Promise<WebConfigReloadOutcome> => {
    const run = chain.then(reloadNow);
    chain = run;
    return run;
  };

  const pollIntervalMs = options.pollIntervalMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  if (pollIntervalMs > 0) {
    signatures = filesSignature(current.files);
    const poll = async () => {
      const before = await signatures;
      const now = filesSignature(current.files);
      const after = await now;
      if (after !== before) {
        signatures = now;
        const outcome = await reload();
        // The files a new configuration names are what to watch from now on.
        if (outcome.ok) signatures = filesSignature(outcome.loaded.files);
      }
      if (timer !== undefined) timer = setTimeout(() => void poll(), pollIntervalMs).unref();
    };
    timer = setTimeout(() => void poll(), pollIntervalMs).unref();
  }

  return {
    current: () => current,
    reload,
    attach(server) {
      servers.add(server);
      apply(server, current);
      const stop = enforceClientCertificates(server, () => current.config.tls);
      return () => {
        servers.delete(server);
        stop();
      };
    },
    close() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

/** One string that changes when any of the files is replaced, rewritten or removed. */
async function filesSignature(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    files.map(async (file) => {
      try {
        const info = await stat(file);
        return `${info.ino}:${info.size}:${info.mtimeMs}:${info.ctimeMs}`;
      } catch (error) {
        return `missing:${String((error as { code?: string }).code)}`;
      }
    }),
  );
  return parts.join('|');
}
