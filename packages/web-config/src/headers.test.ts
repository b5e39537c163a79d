import { hashSync } from 'bcryptjs';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { headersMiddleware } from './headers.js';
import { webConfigMiddleware } from './middleware.js';
import { parseWebConfig } from './parse.js';

const config = parseWebConfig(
  `basic_auth_users:\n  alice: ${hashSync('pw', 4)}\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n    Strict-Transport-Security: max-age=63072000\n`,
  { baseDir: '/' },
);
const authorization = `Basic ${Buffer.from('alice:pw').toString('base64')}`;

function appWith(middleware: ReturnType<typeof headersMiddleware>) {
  const app = new Hono();
  app.use('*', middleware);
  app.get('/metrics', (c) => c.text('up 1\n'));
  // A handler that builds its own Response, as an exposition served from stored bytes may.
  app.get('/raw', () => new Response('raw', { headers: { 'content-type': 'text/plain' } }));
  return app;
}

describe('headersMiddleware', () => {
  it('sets the configured headers on answers, 404s and raw Responses included', async () => {
    const app = appWith(headersMiddleware(config));
    for (const path of ['/metrics', '/raw', '/missing']) {
      const response = await app.request(path);
      expect(response.headers.get('x-frame-options'), path).toBe('deny');
      expect(response.headers.get('strict-transport-security'), path).toBe('max-age=63072000');
    }
  });

  it('changes nothing without configured headers', async () => {
    const response = await appWith(headersMiddleware(parseWebConfig('', { baseDir: '/' }))).request('/metrics');
    expect(response.headers.get('x-frame-options')).toBeNull();
    expect(await response.text()).toBe('up 1\n');
  });
});

describe('webConfigMiddleware', () => {
  it('puts the headers on the 401 too, and serves with credentials', async () => {
    const app = appWith(webConfigMiddleware(config));
    const refused = await app.request('/metrics');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Basic');
    expect(refused.headers.get('x-frame-options')).toBe('deny');
    const served = await app.request('/metrics', { headers: { authorization } });
    expect(served.status).toBe(200);
    expect(served.headers.get('x-frame-options')).toBe('deny');
    expect(await served.text()).toBe('up 1\n');
  });

  it('follows a source function: a new configuration applies to the next request', async () => {
    let current = config;
    const app = appWith(webConfigMiddleware(() => current));
    expect((await app.request('/metrics')).status).toBe(401);
    current = parseWebConfig('', { baseDir: '/' });
    const open = await app.request('/metrics');
    expect(open.status).toBe(200);
    expect(open.headers.get('x-frame-options')).toBeNull();
  });
});
