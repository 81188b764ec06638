import type { KeyObject } from 'node:crypto';
import type { SessionRepository } from '../repositories/session.repository.js';
import type {
  AsymmetricAlgorithm,
  HmacAlgorithm,
  SessionRedisOptions,
} from '../interfaces/session-options.interface.js';
import type { SessionEventsOptions } from '../events/session-event.interface.js';

/** Any algorithm a token of this module is signed with. */
export type JwtAlgorithm = HmacAlgorithm | AsymmetricAlgorithm;

/** A public key as published in a JWKS (RFC 7517): no private or secret member. */
export interface PublicJwk {
  kty: 'OKP' | 'EC' | 'RSA';
  crv?: string;
  x?: string;
  y?: string;
  n?: string;
  e?: string;
  kid: string;
  alg: AsymmetricAlgorithm;
  use: 'sig';
}

/** One key that verifies tokens, built once at start-up. */
export interface ResolvedVerifyKey {
  /** Key id in the header of the tokens it signed. */
  kid: string;
  /** The only algorithm this key verifies. */
  algorithm: JwtAlgorithm;
  /** The HMAC secret, or the public key. */
  key: KeyObject;
  /** The public JWK of an asymmetric key; none for an HMAC secret. */
  jwk?: PublicJwk;
}

/** The signing key and every verification key of one kind of token, built once at start-up. */
export interface ResolvedKey {
  /** Signs new tokens: an HMAC secret or a private key. */
  key: KeyObject;
  /** Algorithm of `key`. */
  algorithm: JwtAlgorithm;
  /** Key id of `key`, written in every header it signs. */
  kid: string;
  /** Verify tokens: the signing key's own entry first, then the ones kept for a rotation. */
  verifyKeys: ResolvedVerifyKey[];
  /** `verifyKeys` by kid. */
  byKid: ReadonlyMap<string, ResolvedVerifyKey>;
  /**
   * Keys tried for a token without `kid` (signed before kids existed): the HMAC secrets only.
   */
  withoutKid: ResolvedVerifyKey[];
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
