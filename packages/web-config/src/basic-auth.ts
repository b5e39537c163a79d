import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { compare as bcryptCompare, getRounds } from 'bcryptjs';
import type { MiddlewareHandler } from 'hono';
import type { WebConfig } from './parse.js';

/** A configuration, or a function returning the current one (a reloader's), read on every request. */
export type WebConfigSource = WebConfig | (() => WebConfig);

/** The configuration a source stands for now. */
export function currentWebConfig(source: WebConfigSource): WebConfig {
  return typeof source === 'function' ? source() : source;
}

/** Options for createBasicAuthVerifier and the middlewares. */
export interface BasicAuthOptions {
  /** Most verified credentials remembered (one per user at most); default 100. */
  readonly cacheSize?: number;
  /** The bcrypt check; default bcryptjs's `compare` (which accepts `$2y$`). Injectable to observe it in tests. */
  readonly compare?: (password: string, hash: string) => Promise<boolean>;
}

/** Checks `Authorization: Basic` credentials against `basic_auth_users`. */
export interface BasicAuthVerifier {
  /** Whether the header names a configured user with the right password. Resolves false for a missing or malformed header. */
  verify(authorization: string | undefined | null): Promise<boolean>;
}

/**
 * A hash no password matches, run for an unknown user so that it costs what a wrong password costs: the cost field is
 * set to the configured users' highest, so the work is the same (a bcrypt check of the same cost never matches it).
 */
const DUMMY_HASH_BODY = 'Tb316JG.SJ0sS5/OhRdVSu1eRItlmdbMmLjDKa080.v7Y1UmE84o.';

/** The dummy hash at a given cost. */
export function dummyBcryptHash(cost: number): string {
  return `$2b$${String(cost).padStart(2, '0')}$${DUMMY_HASH_BODY}`;
}

/**
 * Builds a verifier for the users of `source` (re-read on each call, so a reload applies at once). A bcrypt check costs
 * 100-500 ms, and scrapers ask every second: a user's verified credentials are remembered (an HMAC of the stored hash and
 * the password under a key made at start, compared in constant time), so only the first request, a new password or a
 * changed hash pays it. Failures are not remembered: they cannot evict a good entry, and an attacker pays per guess
 * anyway. Checks run one at a time, as exporter-toolkit does, so a burst of guesses cannot run many in parallel.
 */
export function createBasicAuthVerifier(source: WebConfigSource, options: BasicAuthOptions = {}): BasicAuthVerifier {
  const cacheSize = options.cacheSize ?? 100;
  const compare = options.compare ?? ((password: string, hash: string) => bcryptCompare(password, hash));
  const hmacKey = randomBytes(32);
  const verified = new Map<string, Buffer>();
  const dummies = new WeakMap<ReadonlyMap<string, string>, string>();
  let queue: Promise<unknown> = Promise.resolve();

  const dummyFor = (users: ReadonlyMap<string, string>) => {
    let dummy = dummies.get(users);
    if (dummy === undefined) {
      const cost = Math.max(4, ...[...users.values()].map((hash) => getRounds(hash)));
      dummy = dummyBcryptHash(cost);
      dummies.set(users, dummy);
    }
    return dummy;
  };

  return {
    async verify(authorization) {
      const users = currentWebConfig(source).basicAuthUsers;
      const credentials = parseBasicAuthorization(authorization);
      if (credentials === null || users.size === 0) return false;
      const { user, password } = credentials;
      const stored = users.get(user);
      const hash = stored ?? dummyFor(users);
      const digest = createHmac('sha256', hmacKey).update(hash).update('\n').update(password, 'utf8').digest();
      const remembered = stored === undefined ? undefined : verified.get(user);
      if (remembered !== undefined && timingSafeEqual(remembered, digest)) {
        // Most recently used last: the oldest is evicted first.
        verified.delete(user);
        verified.set(user, remembered);
        return true;
      }
      const check = queue.then(() => compare(password, hash));
      queue = check.catch(() => undefined);
      const matches = await check.catch(() => false);
      if (!matches || stored === undefined) return false;
      verified.delete(user);
      verified.set(user, digest);
      while (verified.size > cacheSize) verified.delete(verified.keys().next().value!);
      return true;
    },
  };
}

/** The user and password of an `Authorization: Basic` header, or null when it is missing or malformed. */
export function parseBasicAuthorization(authorization: string | undefined | null): { user: string; password: string } | null {
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(authorization ?? '');
  if (match === null) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Hono middleware: when `basic_auth_users` is not empty, a request without valid credentials gets 401 with
 * `WWW-Authenticate: Basic` and never reaches the routes.
 */
export function basicAuthMiddleware(source: WebConfigSource, options: BasicAuthOptions = {}): MiddlewareHandler {
  const verifier = createBasicAuthVerifier(source, options);
  return async (c, next) => {
    const config = currentWebConfig(source);
    if (config.basicAuthUsers.size === 0 || (await verifier.verify(c.req.header('authorization')))) {
      await next();
      return;
    }
    return c.text('Unauthorized\n', 401, { 'WWW-Authenticate': 'Basic' });
  };
}
