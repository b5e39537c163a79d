import type { MiddlewareHandler } from 'hono';
import { basicAuthMiddleware, type BasicAuthOptions, type WebConfigSource } from './basic-auth.js';
import { headersMiddleware } from './headers.js';

/**
 * The whole web configuration for a Hono app, in exporter-toolkit's order: the configured headers go on every answer,
 * the 401 included; then basic authentication. Register it before the routes: `app.use('*', webConfigMiddleware(...))`.
 */
export function webConfigMiddleware(source: WebConfigSource, options: BasicAuthOptions = {}): MiddlewareHandler {
  const headers = headersMiddleware(source);
  const auth = basicAuthMiddleware(source, options);
  return (c, next) =>
    headers(c, async () => {
      const refused = await auth(c, next);
      if (refused instanceof Response) c.res = refused;
    });
}
