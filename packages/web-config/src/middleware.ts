import type { MiddlewareHandler } from 'hono';
import { basicAuthMiddleware, type BasicAuthOptions, type WebConfigSource } from './basic-auth.js';
import { headersMiddleware } from './headers.js';
import { rateLimitMiddleware } from './rate-limit.js';

/**
 * The whole web configuration for a Hono app, in exporter-toolkit's order: the rate limit (429) first, then the
 * configured headers on every answer, the 401 included, then basic authentication. Register it before the routes:
 * `app.use('*', webConfigMiddleware(...))`.
 */
export function webConfigMiddleware(source: WebConfigSource, options: BasicAuthOptions & { readonly nowMs?: () => number } = {}): MiddlewareHandler {
  const headers = headersMiddleware(source);
  const auth = basicAuthMiddleware(source, options);
  const limit = rateLimitMiddleware(source, options.nowMs === undefined ? {} : { nowMs: options.nowMs });
  return (c, next) =>
    limit(c, async () => {
      await headers(c, async () => {
        const refused = await auth(c, next);
        if (refused instanceof Response) c.res = refused;
      });
    });
}
