import { compare as bcryptCompare, getRounds, hashSync } from 'bcryptjs';
import fc from 'fast-check';
import { Hono } from 'hono';
import { describe, expect, it, vi } from 'vitest';
import { basicAuthMiddleware, createBasicAuthVerifier, dummyBcryptHash, parseBasicAuthorization } from './basic-auth.js';
import { parseWebConfig, type WebConfig } from './parse.js';

// exporter-toolkit's own test vector: htpasswd's $2y$ at cost 12.
const ALICE_HASH = '$2y$12$1DpfPeqF9HzHJt.EWswy1exHluGfbhnn3yXhR7Xes6m3WJqFg0Wby';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
const usersConfig = (users: Record<string, string>): WebConfig =>
  parseWebConfig(`basic_auth_users:\n${Object.entries(users).map(([user, hash]) => `  ${JSON.stringify(user)}: ${JSON.stringify(hash)}`).join('\n')}\n`, { baseDir: '/' });
/** The real bcrypt check, watched. */
const watchedCompare = () => vi.fn((password: string, hash: string) => bcryptCompare(password, hash));

describe('createBasicAuthVerifier', () => {
  it("accepts exporter-toolkit's vector (alice / alice123, $2y$ at cost 12) and refuses a wrong password", async () => {
    const verifier = createBasicAuthVerifier(usersConfig({ alice: ALICE_HASH }));
    expect(await verifier.verify(basic('alice', 'alice123'))).toBe(true);
    expect(await verifier.verify(basic('alice', 'alice124'))).toBe(false);
    // Two bcrypt checks at cost 12: seconds on a loaded machine.
  }, 30_000);

  it('runs a bcrypt check of the same cost for an unknown user (no timing difference to find users by), and refuses', async () => {
    const compare = watchedCompare();
    const cheap = hashSync('secret', 5);
    const verifier = createBasicAuthVerifier(usersConfig({ bob: cheap, carol: hashSync('x', 4) }), { compare });
    expect(await verifier.verify(basic('mallory', 'secret'))).toBe(false);
    expect(compare).toHaveBeenCalledTimes(1);
    const [password, hash] = compare.mock.calls[0]!;
    expect(password).toBe('secret');
    expect(hash).toBe(dummyBcryptHash(5));
    expect(getRounds(hash)).toBe(5);
    // The same password as a known user's never opens the dummy.
    expect(await verifier.verify(basic('nobody', 'secret'))).toBe(false);
  });

  it('remembers verified credentials: the second request of a scraper pays no bcrypt check', async () => {
    const compare = watchedCompare();
    const verifier = createBasicAuthVerifier(usersConfig({ alice: hashSync('alice123', 4) }), { compare });
    expect(await verifier.verify(basic('alice', 'alice123'))).toBe(true);
    expect(await verifier.verify(basic('alice', 'alice123'))).toBe(true);
    expect(await verifier.verify(basic('alice', 'alice123'))).toBe(true);
    expect(compare).toHaveBeenCalledTimes(1);
    // A wrong password is checked, and not remembered.
    expect(await verifier.verify(basic('alice', 'wrong'))).toBe(false);
    expect(await verifier.verify(basic('alice', 'wrong'))).toBe(false);
    expect(compare).toHaveBeenCalledTimes(3);
    // The right one is still remembered after failures.
    expect(await verifier.verify(basic('alice', 'alice123'))).toBe(true);
    expect(compare).toHaveBeenCalledTimes(3);
  });

  it('forgets remembered credentials when the configured hash changes (a reload with a new password)', async () => {
    const compare = watchedCompare();
    let config = usersConfig({ alice: hashSync('old', 4) });
    const verifier = createBasicAuthVerifier(() => config, { compare });
    expect(await verifier.verify(basic('alice', 'old'))).toBe(true);
    config = usersConfig({ alice: hashSync('new', 4) });
    expect(await verifier.verify(basic('alice', 'old'))).toBe(false);
    expect(await verifier.verify(basic('alice', 'new'))).toBe(true);
    // A user removed from the configuration is refused even though it was remembered.
    config = usersConfig({ bob: hashSync('b', 4) });
    expect(await verifier.verify(basic('alice', 'new'))).toBe(false);
    expect(compare).toHaveBeenCalledTimes(4);
  });

  it('keeps at most cacheSize users remembered, evicting the least recently used', async () => {
    const compare = watchedCompare();
    const users = { a: hashSync('pa', 4), b: hashSync('pb', 4), c: hashSync('pc', 4) };
    const verifier = createBasicAuthVerifier(usersConfig(users), { compare, cacheSize: 2 });
    for (const user of ['a', 'b', 'a', 'c']) expect(await verifier.verify(basic(user, `p${user}`))).toBe(true);
    expect(compare).toHaveBeenCalledTimes(3);
    // b was least recently used when c came: it pays again; a does not.
    expect(await verifier.verify(basic('a', 'pa'))).toBe(true);
    expect(compare).toHaveBeenCalledTimes(3);
    expect(await verifier.verify(basic('b', 'pb'))).toBe(true);
    expect(compare).toHaveBeenCalledTimes(4);
  });

  it('accepts $2a$ and $2b$ hashes too', async () => {
    const b = hashSync('pw', 4);
    expect(b.startsWith('$2b$')).toBe(true);
    const verifier = createBasicAuthVerifier(usersConfig({ a: b.replace('$2b$', '$2a$'), b }));
    expect(await verifier.verify(basic('a', 'pw'))).toBe(true);
    expect(await verifier.verify(basic('b', 'pw'))).toBe(true);
  });

  it.each([undefined, '', 'Bearer abc', 'Basic', 'Basic !!!', `Basic ${Buffer.from('no-colon').toString('base64')}`])(
    'refuses a missing or malformed header (%j) without a bcrypt check',
    async (header) => {
      const compare = watchedCompare();
      const verifier = createBasicAuthVerifier(usersConfig({ alice: ALICE_HASH }), { compare });
      expect(await verifier.verify(header)).toBe(false);
      expect(compare).not.toHaveBeenCalled();
    },
  );

  it('runs bcrypt checks one at a time', async () => {
    let running = 0;
    let most = 0;
    const compare = async (password: string, hash: string) => {
      running += 1;
      most = Math.max(most, running);
      const result = await bcryptCompare(password, hash);
      running -= 1;
      return result;
    };
    const verifier = createBasicAuthVerifier(usersConfig({ alice: hashSync('pw', 4) }), { compare });
    const results = await Promise.all(['x', 'y', 'pw', 'z'].map((password) => verifier.verify(basic('alice', password))));
    expect(results).toEqual([false, false, true, false]);
    expect(most).toBe(1);
  });
});

describe('parseBasicAuthorization', () => {
  it('splits at the first colon: any user without one and any password round-trip', () => {
    fc.assert(
      fc.property(fc.string().filter((user) => !user.includes(':')), fc.string(), (user, password) => {
        // Lone surrogates do not survive UTF-8; a client cannot send them either.
        fc.pre(Buffer.from(user + password, 'utf8').toString('utf8') === user + password);
        expect(parseBasicAuthorization(basic(user, password))).toEqual({ user, password });
        expect(parseBasicAuthorization(basic(user, password).replace('Basic', 'basic'))).toEqual({ user, password });
      }),
    );
  });
});

describe('basicAuthMiddleware', () => {
  const app = (config: WebConfig) => {
    const hono = new Hono();
    hono.use('*', basicAuthMiddleware(config));
    hono.get('/metrics', (c) => c.text('up 1\n'));
    return hono;
  };

  it('answers 401 with WWW-Authenticate: Basic without credentials or with wrong ones, and serves with the right ones', async () => {
    const protectedApp = app(usersConfig({ alice: hashSync('alice123', 4) }));
    for (const headers of [{} as Record<string, string>, { Authorization: basic('alice', 'nope') }, { Authorization: basic('eve', 'alice123') }]) {
      const response = await protectedApp.request('/metrics', { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Basic');
      expect(await response.text()).toBe('Unauthorized\n');
    }
    const ok = await protectedApp.request('/metrics', { headers: { Authorization: basic('alice', 'alice123') } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('up 1\n');
  });

  it('lets every request through when no users are configured', async () => {
    const response = await app(parseWebConfig('', { baseDir: '/' })).request('/metrics');
    expect(response.status).toBe(200);
  });
});
