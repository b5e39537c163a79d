import type { MiddlewareHandler } from 'hono';
import { currentWebConfig, type WebConfigSource } from './basic-auth.js';

/** `rate_limit`, validated: at most `burst` requests at once, then one per `intervalMs`. */
export interface RateLimitConfig {
  readonly intervalMs: number;
  readonly burst: number;
}

const GO_DURATION_UNITS_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A Go duration (`time.ParseDuration`: `1s`, `500ms`, `1m30s`, `1.5h`, `0`) in milliseconds, or null when the text is
 * not one. Negative durations are refused: a rate limit cannot use them.
 */
export function parseGoDurationMs(text: string): number | null {
  if (text === '0') return 0;
  if (!/^(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/u.test(text)) return null;
  let totalMs = 0;
  for (const match of text.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gu)) totalMs += Number(match[1]) * GO_DURATION_UNITS_MS[match[2]!]!;
  return totalMs;
}

/** A token bucket as Go's `rate.Limiter` with `rate.Every(interval)` and `burst`: full at the start. */
export interface TokenBucket {
  /** Takes a token if one is there at `nowMs`. */
  take(nowMs: number): boolean;
}

/** Builds a token bucket holding at most `burst` tokens, refilled one per `intervalMs` (0: never limits). */
export function createTokenBucket({ intervalMs, burst }: RateLimitConfig): TokenBucket {
  let tokens = burst;
  let lastMs: number | undefined;
  return {
    take(nowMs) {
      if (intervalMs === 0) return true;
      if (lastMs !== undefined && nowMs > lastMs) tokens = Math.min(burst, tokens + (nowMs - lastMs) / intervalMs);
      if (lastMs === undefined || nowMs > lastMs) lastMs = nowMs;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

/**
 * Hono middleware for `rate_limit`: beyond the configured rate every request, whoever sends it, gets 429, before
 * authentication (so a flood costs no bcrypt checks), as exporter-toolkit does. A reloaded rate starts a new bucket.
 */
export function rateLimitMiddleware(source: WebConfigSource, options: { readonly nowMs?: () => number } = {}): MiddlewareHandler {
  const nowMs = options.nowMs ?? (() => performance.now());
  let bucketFor: RateLimitConfig | null = null;
  let bucket: TokenBucket | undefined;
  return async (c, next) => {
    const limit = currentWebConfig(source).rateLimit;
    if (limit !== null) {
      if (bucketFor === null || bucketFor.intervalMs !== limit.intervalMs || bucketFor.burst !== limit.burst) {
        bucketFor = limit;
        bucket = createTokenBucket(limit);
      }
      if (!bucket!.take(nowMs())) return c.text('Too Many Requests\n', 429);
    }
    await next();
  };
}
