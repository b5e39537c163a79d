import { request, type Agent } from 'node:http';
import { performance } from 'node:perf_hooks';

/** One timed request. */
export interface TimedResponse {
  readonly status: number;
  readonly body: string;
  /** From sending the request to the last byte of the answer, on a new connection. */
  readonly ms: number;
}

/**
 * GETs `url` and times it: by default on a new connection (no agent, no keep-alive: each request pays its own
 * connect, as the reference figures did), or through `agent` (a keep-alive agent reuses its connection, as
 * scrapers do). Rejects after `timeoutMs`.
 */
export function timedGet(url: string, options: { timeoutMs?: number; headers?: Record<string, string>; agent?: Agent } = {}): Promise<TimedResponse> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const connection = options.agent ? {} : { Connection: 'close' };
    const req = request(url, { agent: options.agent ?? false, headers: { ...connection, ...options.headers }, timeout: options.timeoutMs ?? 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within ${options.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Calls `fn` at `start + k * everyMs` until `untilMs` (monotonic), `count` calls, or `stopped()`. A call that
 * overruns its slot skips the slots it overran: never a burst of catch-up calls. Resolves after the last call.
 */
export async function every(
  everyMs: number,
  fn: (k: number) => Promise<void>,
  stop: { readonly untilMs?: number; readonly count?: number; readonly stopped?: () => boolean },
): Promise<void> {
  const start = performance.now();
  let calls = 0;
  for (let k = 0; ; k++) {
    const at = start + k * everyMs;
    if (stop.untilMs !== undefined && at >= stop.untilMs) return;
    const wait = at - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if ((stop.count !== undefined && calls >= stop.count) || stop.stopped?.()) return;
    calls++;
    await fn(k);
    // Overran: go on from the next slot still ahead.
    k = Math.max(k, Math.ceil((performance.now() - start) / everyMs) - 1);
  }
}
