import type { MiddlewareHandler } from 'hono';
import { currentWebConfig, type WebConfigSource } from './basic-auth.js';

/** Hono middleware: sets `http_server_config.headers` on every response, 401s and 404s included. */
export function headersMiddleware(source: WebConfigSource): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const headers = currentWebConfig(source).headers;
    const entries = Object.entries(headers);
    if (entries.length === 0) return;
    try {
      for (const [name, value] of entries) c.res.headers.set(name, value);
    } catch {
      // A Response whose headers are immutable (one from fetch): copy it.
      const copy = new Response(c.res.body, c.res);
      for (const [name, value] of entries) copy.headers.set(name, value);
      c.res = copy;
    }
  };
}
