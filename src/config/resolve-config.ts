import { SessionConfigError } from '../session.exceptions.js';
import { SessionRepository } from '../store/session.repository.js';
import { REGISTERED_CLAIMS } from '../tokens/claims.js';
import { resolveJwks } from '../tokens/jwks.controller.js';
import { resolveTokenKeys } from '../tokens/keys.js';
import { parseDuration } from './duration.js';
import type { ResolvedSessionConfig } from './resolved-config.js';
import type { SessionModuleExtras, SessionModuleOptions } from './session-options.js';

const MAX_CLOCK_TOLERANCE_MS = 30_000;
const CLAIM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Names that mean something to every JavaScript object: never claim names. */
const OBJECT_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/;
const ROUTE_PREFIX = /^[A-Za-z0-9_\-/]{1,100}$/;

/**
 * Merges the options with the defaults and validates them. Throws `SessionConfigError` naming the
 * first bad option; secret values never appear in a message.
 */
export function resolveSessionConfig(
  options: SessionModuleOptions,
  extras: SessionModuleExtras = {},
): ResolvedSessionConfig {
  if (!options || typeof options !== 'object') {
    throw new SessionConfigError('options', 'must be an object');
  }
  const access = options.accessToken ?? ({} as SessionModuleOptions['accessToken']);
  const refresh = options.refreshToken ?? ({} as SessionModuleOptions['refreshToken']);
  const accessKey = resolveTokenKeys('accessToken', access, true);
  const refreshKey = resolveTokenKeys('refreshToken', refresh, false);
  const accessBytes = accessKey.hmacKeys.map(({ key }) => key.export());
  if (
    refreshKey.hmacKeys.some(({ key }) => accessBytes.some((bytes) => bytes.equals(key.export())))
  ) {
    throw new SessionConfigError('refreshToken.secret', 'must differ from accessToken.secret');
  }

  const accessTtlMs = positiveDuration('accessToken.ttl', access.ttl ?? '15m');
  const refreshTtlMs = positiveDuration('refreshToken.ttl', refresh.ttl ?? '7d');
  if (accessTtlMs > refreshTtlMs) {
    throw new SessionConfigError('accessToken.ttl', 'must not be longer than refreshToken.ttl');
  }
  const clockToleranceMs = duration('clockTolerance', options.clockTolerance ?? 0);
  if (clockToleranceMs > MAX_CLOCK_TOLERANCE_MS) {
    throw new SessionConfigError('clockTolerance', 'must be at most 30s');
  }

  const routePrefix = resolveRoutePrefix(extras.routes);
  const store = resolveStore(options);
  return {
    access: { ...accessKey, ttlMs: accessTtlMs },
    refresh: {
      ...refreshKey,
      ttlMs: refreshTtlMs,
      reuseGraceMs: duration('refreshToken.reuseGrace', refresh.reuseGrace ?? '10s'),
      acceptFromBody: bool('refreshToken.acceptFromBody', refresh.acceptFromBody, false),
    },
    idleTimeoutMs: positiveDuration('idleTimeout', options.idleTimeout ?? '7d'),
    absoluteTimeoutMs: positiveDuration('absoluteTimeout', options.absoluteTimeout ?? '30d'),
    maxSessionsPerUser: maxSessions(options.maxSessionsPerUser),
    issuer: optionalString('issuer', options.issuer),
    audience: optionalString('audience', options.audience),
    clockToleranceMs,
    customClaims: resolveCustomClaims(options.customClaims),
    cookies: resolveCookies(options.cookies, routePrefix),
    allowedOrigins: resolveOrigins(options.allowedOrigins),
    routePrefix,
    jwks: resolveJwks(extras.jwks, accessKey),
    store,
    revocation: resolveRevocation(options.revocation, store),
    events: resolveEvents(options.events),
  };
}

function resolveEvents(value: SessionModuleOptions['events']): ResolvedSessionConfig['events'] {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) {
    throw new SessionConfigError('events', 'must be an object');
  }
  if (value.onEvent !== undefined && typeof value.onEvent !== 'function') {
    throw new SessionConfigError('events.onEvent', 'must be a function');
  }
  return value.onEvent ? { onEvent: value.onEvent } : {};
}

function resolveRevocation(
  value: SessionModuleOptions['revocation'],
  store: ResolvedSessionConfig['store'],
): ResolvedSessionConfig['revocation'] {
  const cacheMs = duration('revocation.cacheMs', value?.cacheMs ?? 0);
  const maxEntries = value?.maxEntries ?? 10_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1) {
    throw new SessionConfigError('revocation.maxEntries', 'must be an integer >= 1');
  }
  if (cacheMs > 0 && store.kind === 'custom' && store.repository.changeFeed() === null) {
    throw new SessionConfigError(
      'revocation.cacheMs',
      'needs a store that announces changes (the Redis store)',
    );
  }
  return { cacheMs, maxEntries };
}

function duration(option: string, value: unknown): number {
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw new SessionConfigError(option, `is not a valid duration (examples: '15m', '7d', 900000)`);
  }
  return ms;
}

function positiveDuration(option: string, value: unknown): number {
  const ms = duration(option, value);
  if (ms < 1000) throw new SessionConfigError(option, 'must be at least 1s');
  return ms;
}

function bool(option: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new SessionConfigError(option, 'must be a boolean');
  return value;
}

function optionalString(option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) {
    throw new SessionConfigError(option, 'must be a non-empty string');
  }
  return value;
}

function maxSessions(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new SessionConfigError('maxSessionsPerUser', 'must be an integer >= 0');
  }
  return value;
}

function resolveCustomClaims(value: unknown): ReadonlySet<string> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value)) throw new SessionConfigError('customClaims', 'must be an array');
  for (const name of value) {
    if (
      typeof name !== 'string' ||
      !CLAIM_NAME.test(name) ||
      REGISTERED_CLAIMS.has(name) ||
      OBJECT_KEYS.has(name)
    ) {
      throw new SessionConfigError(
        'customClaims',
        'must list identifier-like names other than the registered claims',
      );
    }
  }
  return new Set(value as string[]);
}

function resolveRoutePrefix(routes: SessionModuleExtras['routes']): string | null {
  if (routes === false) return null;
  const raw = routes?.prefix ?? 'auth';
  if (typeof raw !== 'string' || !ROUTE_PREFIX.test(raw)) {
    throw new SessionConfigError('routes.prefix', 'must be a path of letters, digits, -, _ and /');
  }
  return raw.replace(/^\/+|\/+$/g, '');
}

function resolveCookies(
  value: SessionModuleOptions['cookies'],
  routePrefix: string | null,
): ResolvedSessionConfig['cookies'] {
  const cookies = value ?? {};
  const accessName = cookies.accessName ?? 'access_token';
  const refreshName = cookies.refreshName ?? 'refresh_token';
  for (const [option, name] of [
    ['cookies.accessName', accessName],
    ['cookies.refreshName', refreshName],
  ] as const) {
    if (typeof name !== 'string' || !COOKIE_NAME.test(name)) {
      throw new SessionConfigError(option, 'must be a valid cookie name');
    }
  }
  if (accessName === refreshName) {
    throw new SessionConfigError('cookies.refreshName', 'must differ from cookies.accessName');
  }
  const sameSite = cookies.sameSite ?? 'strict';
  if (!['strict', 'lax', 'none'].includes(sameSite)) {
    throw new SessionConfigError('cookies.sameSite', "must be 'strict', 'lax' or 'none'");
  }
  const secure = bool('cookies.secure', cookies.secure, true);
  if (sameSite === 'none' && !secure) {
    throw new SessionConfigError('cookies.sameSite', "'none' requires cookies.secure");
  }
  const domain = optionalString('cookies.domain', cookies.domain);
  const prefix = bool('cookies.prefix', cookies.prefix, false);
  if (prefix && !secure) {
    throw new SessionConfigError('cookies.prefix', 'requires cookies.secure (browsers refuse it)');
  }
  if (prefix && domain !== undefined) {
    throw new SessionConfigError('cookies.prefix', 'cannot be combined with cookies.domain');
  }
  return {
    enabled: bool('cookies.enabled', cookies.enabled, true),
    // __Host-: Secure, Path=/, no Domain: no subdomain can set or shadow it. __Secure- for the
    // refresh cookie, which keeps its narrower path.
    accessName: prefix ? `__Host-${accessName}` : accessName,
    refreshName: prefix ? `__Secure-${refreshName}` : refreshName,
    secure,
    sameSite,
    domain,
    refreshPath: routePrefix === null || routePrefix === '' ? '/' : `/${routePrefix}`,
  };
}

function resolveOrigins(value: unknown): ReadonlySet<string> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value)) throw new SessionConfigError('allowedOrigins', 'must be an array');
  const origins = new Set<string>();
  for (const entry of value) {
    let origin: string | undefined;
    try {
      origin = typeof entry === 'string' ? new URL(entry).origin : undefined;
    } catch {
      origin = undefined;
    }
    if (!origin || origin === 'null') {
      throw new SessionConfigError('allowedOrigins', 'must list origins like https://app.example');
    }
    origins.add(origin);
  }
  return origins;
}

function resolveStore(options: SessionModuleOptions): ResolvedSessionConfig['store'] {
  if (options.repository !== undefined) {
    if (options.redis !== undefined) {
      throw new SessionConfigError('repository', 'cannot be combined with redis');
    }
    if (!(options.repository instanceof SessionRepository)) {
      throw new SessionConfigError('repository', 'must extend SessionRepository');
    }
    return { kind: 'custom', repository: options.repository };
  }
  const redis = options.redis;
  if (!redis || typeof redis !== 'object') {
    throw new SessionConfigError('redis', 'is required (or give a repository)');
  }
  const given = [redis.url, redis.options, redis.cluster, redis.client].filter(
    (v) => v !== undefined,
  ).length;
  if (given !== 1) {
    throw new SessionConfigError('redis', 'needs exactly one of url, options, cluster or client');
  }
  if (
    redis.cluster !== undefined &&
    (!Array.isArray(redis.cluster.nodes) || redis.cluster.nodes.length === 0)
  ) {
    throw new SessionConfigError('redis.cluster.nodes', 'must list at least one node');
  }
  if (
    redis.url !== undefined &&
    (typeof redis.url !== 'string' || !/^rediss?:\/\//.test(redis.url))
  ) {
    throw new SessionConfigError('redis.url', 'must be a redis:// or rediss:// URL');
  }
  const keyPrefix = redis.keyPrefix ?? 'sess:';
  if (typeof keyPrefix !== 'string' || /[{}]/.test(keyPrefix)) {
    throw new SessionConfigError('redis.keyPrefix', 'must be a string without braces');
  }
  const commandTimeoutMs = duration('redis.commandTimeout', redis.commandTimeout ?? '1s');
  if (commandTimeoutMs < 1) throw new SessionConfigError('redis.commandTimeout', 'must be > 0');
  return { kind: 'redis', redis: { ...redis, keyPrefix, commandTimeoutMs } };
}
