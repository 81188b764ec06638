import type { KeyObject } from 'node:crypto';
import type { SessionRepository } from '../repositories/session.repository.js';
import type {
  HmacAlgorithm,
  SessionRedisOptions,
} from '../interfaces/session-options.interface.js';

/** One signing key, built once at start-up. */
export interface ResolvedKey {
  /** Signs new tokens. */
  key: KeyObject;
  algorithm: HmacAlgorithm;
  /** Verify tokens: `key` first, then the previous secrets still accepted during a rotation. */
  verifyKeys: KeyObject[];
}

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
  revocation: { cacheMs: number; maxEntries: number; channel: string };
  /** Route prefix without slashes, or `null` when routes are off. */
  routePrefix: string | null;
  store:
    | {
        kind: 'redis';
        redis: SessionRedisOptions & { keyPrefix: string; commandTimeoutMs: number };
      }
    | { kind: 'custom'; repository: SessionRepository };
}
