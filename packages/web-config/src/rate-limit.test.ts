import fc from 'fast-check';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { webConfigMiddleware } from './middleware.js';
import { parseWebConfig } from './parse.js';
import { createTokenBucket, parseGoDurationMs } from './rate-limit.js';

describe('parseGoDurationMs', () => {
  it.each<[string, number]>([
    ['0', 0],
    ['1s', 1000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['2h45m0.5s', 9_900_500],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['2000000ns', 2],
    ['.5s', 500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDurationMs(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '1', 's', '1 s', '-1s', '+1s', '1d', '1sm', '1s ', 'inf'])('%j is not one', (text) => {
    expect(parseGoDurationMs(text)).toBeNull();
  });

  it('reads any sum of whole h, m, s and ms parts', () => {
    fc.assert(
      fc.property(fc.nat(100), fc.nat(100), fc.nat(100), fc.nat(1000), (h, m, s, ms) => {
        expect(parseGoDurationMs(`${h}h${m}m${s}s${ms}ms`)).toBe(((h * 60 + m) * 60 + s) * 1000 + ms);
      }),
    );
  });
});

describe('createTokenBucket', () => {
  it('lets a burst through, then one per interval', () => {
    const bucket = createTokenBucket({ intervalMs: 1000, burst: 2 });
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, false]);
    expect(bucket.take(999)).toBe(false);
    expect(bucket.take(1000)).toBe(true);
    expect(bucket.take(1000)).toBe(false);
    // A long pause refills to the burst, not beyond.
    expect([bucket.take(60_000), bucket.take(60_000), bucket.take(60_000)]).toEqual([true, true, false]);
  });

  it('never lets more than burst + elapsed / interval requests through, whatever their times', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 0, max: 100_000 }), { maxLength: 200 }),
        (intervalMs, burst, times) => {
          const sorted = [...times].sort((a, b) => a - b);
          const bucket = createTokenBucket({ intervalMs, burst });
          let allowed = 0;
          for (const t of sorted) if (bucket.take(t)) allowed += 1;
          const elapsed = sorted.length === 0 ? 0 : sorted[sorted.length - 1]! - sorted[0]!;
          expect(allowed).toBeLessThanOrEqual(burst + Math.floor(elapsed / intervalMs));
          // And the first `burst` requests always pass.
          expect(allowed).toBeGreaterThanOrEqual(Math.min(burst, sorted.length));
        },
      ),
    );
  });
});

describe('rate limit in webConfigMiddleware', () => {
  it('answers 429 beyond the rate, before authentication and without the configured headers, as exporter-toolkit', async () => {
    let now = 0;
    const config = parseWebConfig('rate_limit:\n  interval: 1s\n  burst: 1\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n', { baseDir: '/' });
    const app = new Hono();
    app.use('*', webConfigMiddleware(config, { nowMs: () => now }));
    app.get('/metrics', (c) => c.text('up 1\n'));
    expect((await app.request('/metrics')).status).toBe(200);
    const limited = await app.request('/metrics');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-frame-options')).toBeNull();
    now = 1000;
    expect((await app.request('/metrics')).status).toBe(200);
  });
});
