import type { Service } from './process.js';

/** A URL did not answer as expected in time, or the service behind it died first. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  readonly url: string;

  constructor(url: string, message: string) {
    super(message);
    this.url = url;
  }
}

/** Options for waitForUrl. */
export interface WaitForUrlOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** Whether this answer is the one awaited; by default any 2xx. */
  readonly accept?: (status: number, body: string) => boolean;
  /** Stop waiting (and say so, with its log) if this service exits. */
  readonly service?: Service;
}

/** Polls `url` until it answers as `accept` wants; resolves with the body. */
export async function waitForUrl(url: string, options: WaitForUrlOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 100;
  const accept = options.accept ?? ((status) => status >= 200 && status < 300);
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    const service = options.service;
    if (service && !service.running()) {
      const exit = await service.exited;
      throw new WaitTimeoutError(
        url,
        `${service.name} exited (code ${exit.code}, signal ${exit.signal}) while waiting for ${url}; its log (${service.logFile}) ends:\n${service.logTail()}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(Math.min(2_000, Math.max(100, deadline - Date.now()))) });
      const body = await response.text();
      if (accept(response.status, body)) return body;
      last = `HTTP ${response.status}: ${body.slice(0, 200)}`;
    } catch (error) {
      last = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    }
    if (Date.now() >= deadline) {
      const tail = service ? `\n${service.name}'s log (${service.logFile}) ends:\n${service.logTail()}` : '';
      throw new WaitTimeoutError(url, `${url} not ready after ${timeoutMs} ms (last: ${last})${tail}`);
    }
    await sleep(intervalMs);
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
