import type { SessionEventsOptions } from '../events/session-events.js';
import type { SessionRepository } from '../store/session.repository.js';
import type { PublicJwk, ResolvedKey } from '../tokens/key.types.js';
import type { SessionRedisOptions } from './session-options.js';

/** The module options after defaults and validation; every provider injects this. Times in ms. */
export interface ResolvedSessionConfig {
  access: ResolvedKey & { ttlMs: number };
  refresh: ResolvedKey & { ttlMs: number; reuseGraceMs: number; acceptFromBody: boolean };
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
  maxSessionsPerUser: number;
  issuer?: string;
  audience?: string;
  clockToleranceMs: number;
  customClaims: ReadonlySet<string>;
  cookies: {
    enabled: boolean;
    accessName: string;
    refreshName: string;
    secure: boolean;
    sameSite: 'strict' | 'lax' | 'none';
    domain?: string;
    /** Path of the refresh cookie: the route prefix. */
    refreshPath: string;
  };
  allowedOrigins: ReadonlySet<string>;
  /** `cacheMs` 0 = strict: every request reads the store. */
  revocation: { cacheMs: number; maxEntries: number };
  /** The `events` option (its hook, when set). */
  events: SessionEventsOptions;
  /** Route prefix without slashes, or `null` when routes are off. */
  routePrefix: string | null;
  /** The JWKS route (path without leading slash) and its cache lifetime, or `null` when off. */
  jwks: { path: string; maxAgeSeconds: number; keys: PublicJwk[] } | null;
  store:
    | {
        kind: 'redis';
        redis: SessionRedisOptions & { keyPrefix: string; commandTimeoutMs: number };
      }
    | { kind: 'custom'; repository: SessionRepository };
}

/**
 * What the guards read of the options (`@InjectSessionOptions()`): enough for a subclass to read a
 * request as the module does.
 */
export interface SessionGuardOptions {
  /** The token cookies: whether they are on, and their names (with any `__Host-` prefix). */
  readonly cookies: {
    readonly enabled: boolean;
    readonly accessName: string;
    readonly refreshName: string;
  };
  /** Whether `POST /auth/refresh` also reads the refresh token from the JSON body. */
  readonly refreshFromBody: boolean;
}

/** The guards' slice of a resolved configuration. */
export function guardOptionsOf(config: ResolvedSessionConfig): SessionGuardOptions {
  const { enabled, accessName, refreshName } = config.cookies;
  return Object.freeze({
    cookies: Object.freeze({ enabled, accessName, refreshName }),
    refreshFromBody: config.refresh.acceptFromBody,
  });
}
