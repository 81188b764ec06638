import type { ConfigurableModuleAsyncOptions } from '@nestjs/common';
import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { KeyObject } from 'node:crypto';
import type { SessionEventsOptions } from '../events/session-events.js';
import type { SessionRepository } from '../store/session.repository.js';

/** A duration: milliseconds, or a string such as `'500ms'`, `'10s'`, `'15m'`, `'12h'`, `'7d'`. */
export type Duration = number | string;

/** HMAC algorithms accepted for signing. The verifier accepts only the configured one. */
export type HmacAlgorithm = 'HS256' | 'HS384' | 'HS512';

/** Asymmetric algorithms for access tokens: Ed25519, P-256 ECDSA, RSA (>= 2048 bits) PKCS#1 v1.5. */
export type AsymmetricAlgorithm = 'EdDSA' | 'ES256' | 'RS256';

/** A key: PEM text (string or Buffer) or a `KeyObject`. */
export type KeyMaterial = string | Buffer | KeyObject;

/** One key pair (or public key) of `accessToken.keys`. */
export interface AccessTokenKey {
  /** Algorithm of this key, pinned: `EdDSA` needs Ed25519, `ES256` P-256, `RS256` RSA >= 2048 bits. */
  algorithm: AsymmetricAlgorithm;
  /** Private key (PEM or `KeyObject`). Only the key that signs needs it. Default: none (verify only). */
  privateKey?: KeyMaterial;
  /** Public key (PEM or `KeyObject`). Default: derived from `privateKey` (one of the two is required). */
  publicKey?: KeyMaterial;
  /**
   * Key id written in the header of the tokens this key signs and published in the JWKS: 1 to 64
   * of `A-Z a-z 0-9 . _ ~ -`. Default: the RFC 7638 JWK thumbprint of the public key.
   */
  kid?: string;
}

/** Options of the access token, sent on every request. */
export interface AccessTokenOptions {
  /**
   * HMAC secret, at least 32 bytes, different from the refresh secret. Required unless `keys` has
   * a private key; next to such a key it only verifies (tokens signed before a switch to keys).
   */
  secret?: string | Buffer;
  /**
   * Secrets replaced by `secret` that still verify tokens (never sign), for rotating the secret
   * without logging anyone out: keep the old one here for one token lifetime. Default: `[]`.
   */
  previousSecrets?: (string | Buffer)[];
  /** Lifetime of an access token. Default: `'15m'`. */
  ttl?: Duration;
  /** HMAC algorithm of `secret` and `previousSecrets`, pinned on verification. Default: `'HS256'`. */
  algorithm?: HmacAlgorithm;
  /**
   * Asymmetric keys (EdDSA, ES256, RS256): the first one with a `privateKey` signs, every one
   * verifies (rotation: list the new key first, keep the old public key for one token lifetime).
   * Their public keys can be published with the `jwks` extra. Default: none (HMAC `secret`).
   */
  keys?: AccessTokenKey[];
}

/** Options of the refresh token, which renews the access token and rotates on every use. */
export interface RefreshTokenOptions {
  /** HMAC secret, at least 32 bytes, different from the access secret. Required. */
  secret: string | Buffer;
  /**
   * Secrets replaced by `secret` that still verify tokens (never sign), for rotating the secret
   * without logging anyone out: keep the old one here for one token lifetime. Default: `[]`.
   */
  previousSecrets?: (string | Buffer)[];
  /** Lifetime of one refresh token (each refresh issues a new one). Default: `'7d'`. */
  ttl?: Duration;
  /** Signing algorithm, pinned on verification. Default: `'HS256'`. */
  algorithm?: HmacAlgorithm;
  /**
   * How long a just-rotated refresh token is still answered with the session's current tokens
   * (concurrent tabs refreshing at once). After it, presenting it revokes the session. `0` = none.
   * Default: `'10s'`.
   */
  reuseGrace?: Duration;
  /**
   * Also accept the refresh token from the JSON body field `refreshToken` of `POST /auth/refresh`
   * and return it in JSON bodies (for clients without cookies). Default: `false`.
   */
  acceptFromBody?: boolean;
}

/** A Redis Cluster the module connects to itself. */
export interface SessionRedisClusterOptions {
  /** Seed nodes: `'host:port'` strings or `{ host, port }`. */
  nodes: ClusterNode[];
  /** ioredis Cluster options; the module's fail-fast defaults apply where a field is not set. */
  options?: ClusterOptions;
}

/** Where sessions are stored in Redis. Give exactly one of `url`, `options`, `cluster` or `client`. */
export interface SessionRedisOptions {
  /** A `redis://` or `rediss://` URL. */
  url?: string;
  /** ioredis options; the module's fail-fast defaults apply where a field is not set. */
  options?: RedisOptions;
  /** A Redis Cluster: all keys of one user share a hash tag, so every script runs in one slot. */
  cluster?: SessionRedisClusterOptions;
  /** An ioredis `Redis` or `Cluster` the app owns; the module never closes it. */
  client?: Redis | Cluster;
  /** Prefix of every key. Default: `'sess:'`. */
  keyPrefix?: string;
  /** Command timeout of a client the module creates. Default: `'1s'`. */
  commandTimeout?: Duration;
}

/** The two cookies that carry the tokens to browsers. */
export interface SessionCookieOptions {
  /** Set cookies on login and refresh and read the access token from its cookie. Default: `true`. */
  enabled?: boolean;
  /** Name of the access-token cookie (`Path=/`). Default: `'access_token'`. */
  accessName?: string;
  /** Name of the refresh-token cookie (`Path=/<route prefix>`). Default: `'refresh_token'`. */
  refreshName?: string;
  /** `Secure` attribute. Turn off only for plain-http local development. Default: `true`. */
  secure?: boolean;
  /** `SameSite` attribute. Default: `'strict'`. */
  sameSite?: 'strict' | 'lax' | 'none';
  /** `Domain` attribute. Default: none (host-only cookies). */
  domain?: string;
  /**
   * Name the access cookie `__Host-<accessName>` and the refresh cookie `__Secure-<refreshName>`,
   * so that browsers accept them only with `Secure` (and, for `__Host-`, `Path=/` and no
   * `Domain`): a sibling subdomain or a plain-http page cannot plant or overwrite them. Needs
   * `secure`; refused with `domain`. Default: `false`.
   */
  prefix?: boolean;
}

/** The optional revocation cache. */
export interface SessionRevocationOptions {
  /** How long a session read as live is served from memory; `0` = off. Default: `0`. */
  cacheMs?: Duration;
  /** Most sessions kept; the least recently read are dropped first. Default: `10000`. */
  maxEntries?: number;
}

/** Options of `SessionModule.forRoot()` (and the value `forRootAsync`'s factory returns). */
export interface SessionModuleOptions {
  /** Access-token options. Required. */
  accessToken: AccessTokenOptions;
  /** Refresh-token options. Required. */
  refreshToken: RefreshTokenOptions;
  /** Redis connection. Required unless `repository` is given. */
  redis?: SessionRedisOptions;
  /** A session repository instance to use instead of Redis (e.g. `new MemorySessionRepository()`). */
  repository?: SessionRepository;
  /** Sliding idle timeout, renewed by every refresh. Default: `'7d'`. */
  idleTimeout?: Duration;
  /** Absolute session lifetime from login, never extended. Default: `'30d'`. */
  absoluteTimeout?: Duration;
  /** Live sessions a user may have; past it the earliest-created is revoked. `0` = unlimited. Default: `0`. */
  maxSessionsPerUser?: number;
  /** `iss` claim set on tokens and required on verification. Default: none. */
  issuer?: string;
  /** `aud` claim set on tokens and required on verification. Default: none. */
  audience?: string;
  /** Clock skew accepted on `exp`, `nbf` and `iat`, at most 30 s. Default: `0`. */
  clockTolerance?: Duration;
  /** Names of the custom claims `create()` may sign into access tokens. Default: `[]`. */
  customClaims?: string[];
  /** Cookie transport. */
  cookies?: SessionCookieOptions;
  /**
   * In-process cache of live sessions, so that a warm request costs no Redis read. Every
   * revocation is announced on a Redis channel and dropped by every instance at once; while that
   * channel is down the cache is bypassed. Off by default (one Redis read per request).
   */
  revocation?: SessionRevocationOptions;
  /**
   * Session events (`session.created`, `.refreshed`, `.revoked`, `.reuse-detected`) to a hook.
   * They also go to `@nestjs/event-emitter` when the app imports `EventEmitterModule`.
   * Default: none.
   */
  events?: SessionEventsOptions;
  /** Origins (scheme://host[:port]) besides the request's own allowed to send cookie-authenticated writes. Default: `[]`. */
  allowedOrigins?: string[];
}

/**
 * What `SessionModule.forRootAsync()` takes: `imports`, `inject` and a `useFactory` (or
 * `useClass`/`useExisting`) that gives the options, and the extras themselves.
 */
export type SessionModuleAsyncOptions = ConfigurableModuleAsyncOptions<SessionModuleOptions> &
  SessionModuleExtras;

/** Options that shape the module itself, given next to the options (also in `forRootAsync`). */
export interface SessionModuleExtras {
  /** Register the module globally, so guards resolve in every feature module. Default: `true`. */
  isGlobal?: boolean;
  /** Mount `AuthController` under this prefix, or `false` for no routes. Default: `{ prefix: 'auth' }`. */
  routes?: false | { prefix?: string };
  /**
   * Serve the public keys of `accessToken.keys` as a JWKS (`GET /.well-known/jwks.json`), or
   * `false`. Needs asymmetric keys (refused with HMAC only). Default: `false`.
   */
  jwks?: false | SessionJwksOptions;
}

/** The JWKS endpoint (`jwks` extra). */
export interface SessionJwksOptions {
  /** Path of the route (the app's global prefix applies). Default: `'/.well-known/jwks.json'`. */
  path?: string;
  /** `Cache-Control: public, max-age=…` of the answer. Default: `'5m'`. */
  maxAge?: Duration;
}
