import { Controller, Get, Header, Inject, Injectable, type Type } from '@nestjs/common';
import { resolveJwksRoute } from './config/resolve-keys.js';
import type { PublicJwk, ResolvedSessionConfig } from './config/resolved-session-config.js';
import { Public } from './decorators/public.decorator.js';
import type { SessionJwksOptions } from './interfaces/session-options.interface.js';
import { SESSION_CONFIG } from './session.constants.js';

/** Body of the JWKS route (RFC 7517): the public keys that verify access tokens. */
export interface JwksResponse {
  keys: PublicJwk[];
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
