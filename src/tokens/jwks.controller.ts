import { Controller, Get, Header, Inject, Injectable, type Type } from '@nestjs/common';
import { SESSION_CONFIG } from '../config/config.tokens.js';
import { parseDuration } from '../config/duration.js';
import type { ResolvedSessionConfig } from '../config/resolved-config.js';
import type { SessionJwksOptions } from '../config/session-options.js';
import { Public } from '../decorators/public.decorator.js';
import { SessionConfigError } from '../session.exceptions.js';
import type { PublicJwk, ResolvedKey } from './key.types.js';

const JWKS_PATH = /^\/?[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;
const DEFAULT_JWKS_PATH = '/.well-known/jwks.json';

/** Body of the JWKS route (RFC 7517): the public keys that verify access tokens. */
interface JwksResponse {
  keys: PublicJwk[];
}

/** The JWKS route of the `jwks` extra, or `null` when it is off. */
function resolveJwksRoute(value: unknown): { path: string; maxAgeSeconds: number } | null {
  if (value === undefined || value === false) return null;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SessionConfigError('jwks', 'must be false or an object { path?, maxAge? }');
  }
  const { path = DEFAULT_JWKS_PATH, maxAge = '5m' } = value as SessionJwksOptions;
  if (
    typeof path !== 'string' ||
    !JWKS_PATH.test(path) ||
    path.length > 200 ||
    path.split('/').some((segment) => segment === '.' || segment === '..')
  ) {
    throw new SessionConfigError('jwks.path', `must be a path such as ${DEFAULT_JWKS_PATH}`);
  }
  const maxAgeMs = parseDuration(maxAge);
  if (maxAgeMs === undefined) {
    throw new SessionConfigError('jwks.maxAge', "is not a valid duration (examples: '5m', 300000)");
  }
  return { path: path.replace(/^\/+/, ''), maxAgeSeconds: Math.floor(maxAgeMs / 1000) };
}

/** The JWKS the `jwks` extra serves: the public keys of the access token, never a secret. */
export function resolveJwks(
  value: unknown,
  access: ResolvedKey,
): { path: string; maxAgeSeconds: number; keys: PublicJwk[] } | null {
  const route = resolveJwksRoute(value);
  if (!route) return null;
  const keys = access.verifyKeys.flatMap((entry) => (entry.jwk ? [entry.jwk] : []));
  if (keys.length === 0) {
    throw new SessionConfigError(
      'jwks',
      'needs asymmetric accessToken.keys (HMAC secrets are never published)',
    );
  }
  return { ...route, keys };
}

/**
 * Publishes the public keys of `accessToken.keys` (never an HMAC secret, never a private key) so
 * that other services verify this module's access tokens, e.g. with `jose.createRemoteJWKSet`.
 * Mounted by the `jwks` extra at its path (default `/.well-known/jwks.json`); `@Public()`, so a
 * global `AccessGuard` lets it through.
 */
@Injectable()
export class JwksController {
  private readonly body: JwksResponse;

  constructor(@Inject(SESSION_CONFIG) config: ResolvedSessionConfig) {
    // resolveSessionConfig refused the `jwks` extra without asymmetric keys.
    this.body = { keys: config.jwks?.keys ?? [] };
  }

  /** The JWK Set, the same on every call until a restart with other keys. */
  jwks(): JwksResponse {
    return this.body;
  }
}

/** `JwksController` mounted at the path of the `jwks` extra, with its `Cache-Control`. */
export function createJwksController(options: SessionJwksOptions): Type<JwksController> {
  const route = resolveJwksRoute(options)!;

  @Controller()
  class MountedJwksController extends JwksController {
    @Public()
    @Get(route.path)
    @Header('Cache-Control', `public, max-age=${route.maxAgeSeconds}`)
    override jwks(): JwksResponse {
      return super.jwks();
    }
  }
  return MountedJwksController;
}
