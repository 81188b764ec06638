import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import {
  MemorySessionRepository,
  parseDuration,
  type AccessTokenOptions,
  type SessionModuleExtras,
  type SessionModuleOptions,
} from 'nest-redis-sessions';

/** A message to log once the app has started (the app's logger is in place by then). */
export interface SampleNotice {
  level: 'log' | 'warn';
  message: string;
}

/** The Nest HTTP platforms the sample app runs on (`HTTP_ADAPTER`). */
export const HTTP_ADAPTERS = ['express', 'fastify'] as const;
export type HttpAdapterName = (typeof HTTP_ADAPTERS)[number];

/** Everything the sample app reads from its environment, parsed and checked once. */
export interface SampleConfig {
  /** Port `main.ts` listens on. */
  port: number;
  /** `HTTP_ADAPTER`: the Nest platform, `express` (default) or `fastify`. */
  httpAdapter: HttpAdapterName;
  /** Options given to `SessionModule.forRoot()` (with the `jwks` extra when keys are set). */
  session: SessionModuleOptions & SessionModuleExtras;
  /** Requests per minute and IP on `POST /auth/login` and `POST /auth/refresh`; `0` = no limit. */
  rateLimitPerMinute: number;
  /** What start-up should tell the operator (never a secret). */
  notices: SampleNotice[];
  /** `BENCH=1`: routes and user store of `npm run bench` (`sample-app/bench/`). Default: off. */
  bench: boolean;
}

/** An environment variable with a bad value. The message names the variable, never a secret. */
export class SampleConfigError extends Error {
  override readonly name = 'SampleConfigError';
  constructor(variable: string, problem: string) {
    super(`Environment variable ${variable} ${problem}`);
  }
}

const MIN_SECRET_BYTES = 32;
/** Per IP and minute, for login and refresh each: ample for people, a wall for guessing. */
const DEFAULT_RATE_LIMIT = 20;
const MAX_CLOCK_TOLERANCE_MS = 30_000;
const MIN_DURATION_MS = 1000; // the library's floor for lifetimes and timeouts

/** The value of a variable, or `undefined` when it is unset or blank. */
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** A duration in milliseconds: `500ms`, `10s`, `15m`, `12h`, `7d`, or a plain number of ms. */
function duration(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: string,
  allowZero = false,
): number {
  const raw = read(env, name) ?? fallback;
  const ms = parseDuration(/^\d+$/.test(raw) ? Number(raw) : raw);
  if (ms === undefined) {
    throw new SampleConfigError(
      name,
      `must be a duration such as 10s, 15m, 7d or a number of milliseconds (got "${raw}")`,
    );
  }
  if (!allowZero && ms < MIN_DURATION_MS) throw new SampleConfigError(name, 'must be at least 1s');
  return ms;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value > max) {
    throw new SampleConfigError(name, `must be an integer from 0 to ${max} (got "${raw}")`);
  }
  return value;
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = raw.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new SampleConfigError(name, `must be true or false (got "${raw}")`);
}

/** A PEM Ed25519 key from the environment (`\n` escapes allowed, as in .env files). */
function ed25519Key(env: NodeJS.ProcessEnv, name: string, type: 'private' | 'public'): KeyObject {
  const pem = read(env, name)!.replace(/\\n/g, '\n');
  let key: KeyObject | undefined;
  try {
    // createPublicKey would derive a public key from a private PEM: that belongs in the other one.
    if (type === 'public' && pem.includes('PRIVATE KEY')) throw new Error('a private key');
    key = type === 'private' ? createPrivateKey(pem) : createPublicKey(pem);
  } catch {
    key = undefined;
  }
  // The value is never repeated: it may be a private key.
  if (!key || key.type !== type || key.asymmetricKeyType !== 'ed25519') {
    throw new SampleConfigError(name, `must be an Ed25519 ${type} key in PEM`);
  }
  return key;
}

/**
 * `ACCESS_PRIVATE_KEY` and `ACCESS_PUBLIC_KEY` (both or neither): access tokens signed with
 * EdDSA and the JWKS served. `ACCESS_SECRET`, if also set, then only verifies older tokens.
 */
function accessKeys(
  env: NodeJS.ProcessEnv,
  notices: SampleNotice[],
): Pick<AccessTokenOptions, 'keys' | 'secret'> | undefined {
  const hasPrivate = read(env, 'ACCESS_PRIVATE_KEY') !== undefined;
  const hasPublic = read(env, 'ACCESS_PUBLIC_KEY') !== undefined;
  if (!hasPrivate && !hasPublic) return undefined;
  if (!hasPrivate || !hasPublic) {
    throw new SampleConfigError(
      hasPrivate ? 'ACCESS_PUBLIC_KEY' : 'ACCESS_PRIVATE_KEY',
      'must be set together with ' + (hasPrivate ? 'ACCESS_PRIVATE_KEY' : 'ACCESS_PUBLIC_KEY'),
    );
  }
  const privateKey = ed25519Key(env, 'ACCESS_PRIVATE_KEY', 'private');
  const publicKey = ed25519Key(env, 'ACCESS_PUBLIC_KEY', 'public');
  notices.push({
    level: 'log',
    message: 'Access tokens are signed with EdDSA; public keys at GET /.well-known/jwks.json',
  });
  const legacySecret = read(env, 'ACCESS_SECRET');
  return {
    keys: [{ algorithm: 'EdDSA', privateKey, publicKey }],
    ...(legacySecret ? { secret: legacySecret } : {}),
  };
}

/** A secret from the environment, or a random one for this process only (with a warning). */
function secret(env: NodeJS.ProcessEnv, name: string, notices: SampleNotice[]): string | Buffer {
  const value = read(env, name);
  if (value === undefined) {
    notices.push({
      level: 'warn',
      message:
        `${name} is not set: using a random secret for this process only. Tokens will not ` +
        'survive a restart or work across instances. Set it (npm run secret prints one).',
    });
    return randomBytes(48);
  }
  if (Buffer.byteLength(value, 'utf8') < MIN_SECRET_BYTES) {
    throw new SampleConfigError(name, `must be at least ${MIN_SECRET_BYTES} bytes long`);
  }
  return value;
}

function allowedOrigins(env: NodeJS.ProcessEnv): string[] {
  const raw = read(env, 'ALLOWED_ORIGINS');
  if (raw === undefined) return [];
  const origins = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const origin of origins) {
    if (!isOrigin(origin)) {
      throw new SampleConfigError(
        'ALLOWED_ORIGINS',
        `has an entry that is not an origin such as https://app.example.com (got "${origin}")`,
      );
    }
  }
  return origins;
}

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/** The Redis URL and its host, checked; the error never repeats it (it may hold a password). */
function redisUrl(env: NodeJS.ProcessEnv): { url: string; host: string } | undefined {
  const raw = read(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
    throw new SampleConfigError('REDIS_URL', 'must be a redis:// or rediss:// URL');
  }
  return { url: raw, host: url.host };
}

/** Seeds of a Redis Cluster: comma-separated `host:port` (`[v6]:port` for IPv6). */
function redisClusterNodes(env: NodeJS.ProcessEnv): { host: string; port: number }[] | undefined {
  const raw = read(env, 'REDIS_CLUSTER_NODES');
  if (raw === undefined) return undefined;
  // The value is never repeated: a URL put there by mistake could carry a password.
  const bad = new SampleConfigError(
    'REDIS_CLUSTER_NODES',
    'must be comma-separated host:port seeds such as 10.0.0.1:7000,10.0.0.2:7000',
  );
  const nodes: { host: string; port: number }[] = [];
  for (const entry of raw.split(',').map((part) => part.trim())) {
    if (entry === '') continue;
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(entry);
    const port = Number(match?.[3]);
    if (!match || port < 1 || port > 65_535) throw bad;
    nodes.push({ host: match[1] ?? match[2], port });
  }
  if (nodes.length === 0) throw bad;
  return nodes;
}

/** `HTTP_ADAPTER`: `express` (the default) or `fastify`, in any case. */
export function httpAdapterFromEnv(env: NodeJS.ProcessEnv): HttpAdapterName {
  const raw = read(env, 'HTTP_ADAPTER');
  if (raw === undefined) return 'express';
  const adapter = HTTP_ADAPTERS.find((name) => name === raw.toLowerCase());
  if (!adapter) {
    throw new SampleConfigError('HTTP_ADAPTER', `must be "express" or "fastify" (got "${raw}")`);
  }
  return adapter;
}

/**
 * Turns the sample app's environment into `SessionModule` options. Throws a
 * `SampleConfigError` naming the variable when a value is bad.
 */
export function sampleOptionsFromEnv(env: NodeJS.ProcessEnv): SampleConfig {
  const notices: SampleNotice[] = [];
  const port = integer(env, 'PORT', 3000, 65_535);
  const keys = accessKeys(env, notices);
  const accessSecret = keys ? keys.secret : secret(env, 'ACCESS_SECRET', notices);
  const refreshSecret = secret(env, 'REFRESH_SECRET', notices);
  if (typeof accessSecret === 'string' && accessSecret === refreshSecret) {
    throw new SampleConfigError('REFRESH_SECRET', 'must differ from ACCESS_SECRET');
  }
  const clockTolerance = duration(env, 'CLOCK_TOLERANCE', '0s', true);
  if (clockTolerance > MAX_CLOCK_TOLERANCE_MS) {
    throw new SampleConfigError('CLOCK_TOLERANCE', 'must be at most 30s');
  }
  const httpAdapter = httpAdapterFromEnv(env);

  const session: SessionModuleOptions = {
    accessToken: {
      ...(keys ? { keys: keys.keys } : {}),
      ...(accessSecret !== undefined ? { secret: accessSecret } : {}),
      ttl: duration(env, 'ACCESS_TTL', '15m'),
    },
    ...(keys ? { jwks: {} } : {}),
    refreshToken: {
      secret: refreshSecret,
      ttl: duration(env, 'REFRESH_TTL', '7d'),
      reuseGrace: duration(env, 'REUSE_GRACE', '10s', true),
    },
    idleTimeout: duration(env, 'IDLE_TIMEOUT', '7d'),
    absoluteTimeout: duration(env, 'ABSOLUTE_TIMEOUT', '30d'),
    clockTolerance,
    maxSessionsPerUser: integer(env, 'MAX_SESSIONS_PER_USER', 0, 1_000_000),
    cookies: { secure: boolean(env, 'COOKIE_SECURE', true) },
    allowedOrigins: allowedOrigins(env),
    revocation: { cacheMs: duration(env, 'REVOCATION_CACHE_MS', '0', true) },
  };

  const redis = redisUrl(env);
  const clusterNodes = redisClusterNodes(env);
  if (redis && clusterNodes) {
    throw new SampleConfigError('REDIS_CLUSTER_NODES', 'cannot be set together with REDIS_URL');
  }
  // REDIS_KEY_PREFIX is for tests sharing one Redis; apps keep the default `sess:`.
  const keyPrefix = read(env, 'REDIS_KEY_PREFIX');
  if (redis) {
    session.redis = { url: redis.url, ...(keyPrefix ? { keyPrefix } : {}) };
    notices.push({ level: 'log', message: `Sessions are stored in Redis at ${redis.host}` });
  } else if (clusterNodes) {
    session.redis = { cluster: { nodes: clusterNodes }, ...(keyPrefix ? { keyPrefix } : {}) };
    const seeds = clusterNodes.map(({ host, port }) =>
      host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    );
    notices.push({
      level: 'log',
      message: `Sessions are stored in Redis Cluster (seed nodes ${seeds.join(', ')})`,
    });
  } else {
    if (session.revocation?.cacheMs) {
      throw new SampleConfigError('REVOCATION_CACHE_MS', 'needs REDIS_URL or REDIS_CLUSTER_NODES');
    }
    session.repository = new MemorySessionRepository();
    notices.push({
      level: 'warn',
      message:
        'Neither REDIS_URL nor REDIS_CLUSTER_NODES is set: sessions are kept in memory and lost ' +
        'on restart',
    });
  }
  if (!session.cookies?.secure) {
    notices.push({
      level: 'warn',
      message: 'COOKIE_SECURE is off: cookies travel over plain http (local development only)',
    });
  }
  const rateLimitPerMinute = integer(env, 'RATE_LIMIT_PER_MINUTE', DEFAULT_RATE_LIMIT, 1_000_000);
  if (rateLimitPerMinute === 0) {
    notices.push({
      level: 'warn',
      message: 'RATE_LIMIT_PER_MINUTE=0: login and refresh are not rate-limited',
    });
  }
  const bench = boolean(env, 'BENCH', false);
  if (bench && keys) {
    throw new SampleConfigError('BENCH', 'cannot be combined with ACCESS_PRIVATE_KEY (HS256 only)');
  }
  if (bench) {
    notices.push({
      level: 'warn',
      message:
        'BENCH is on: /bench routes and a user store without password hashing (benchmarks only)',
    });
  }
  return { port, httpAdapter, session, rateLimitPerMinute, notices, bench };
}
