import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Jwt } from 'jsonwebtoken';
import { Strategy as JwtStrategy } from 'passport-jwt';
import type { ResolvedSessionConfig } from '../config/resolved-session-config.js';
import { readJwtHeader } from '../eddsa-jwt.js';
import type { CookieRequest } from '../http/http.types.js';
import { hasAuthorizationHeader, readBearer, readCookie } from '../http/request-tokens.js';
import type { SessionPrincipal } from '../interfaces/session.interface.js';
import { SESSION_CONFIG } from '../session.constants.js';
import { SessionService } from '../session.service.js';
import { TokenService } from '../token.service.js';
import { uniqueStrategyRegistry } from './register-strategy.js';

/**
 * The access token, from `Authorization: Bearer` or else the access cookie (never the query
 * string or body). When an Authorization header is present it is the only source.
 */
export function extractAccessToken(
  req: CookieRequest,
  config: ResolvedSessionConfig,
): string | undefined {
  if (hasAuthorizationHeader(req)) return readBearer(req);
  return config.cookies.enabled ? readCookie(req, config.cookies.accessName) : undefined;
}

/**
 * passport-jwt strategy of `PassportAccessGuard` (and `POST /auth/logout`): jsonwebtoken checks signature, pinned algorithm, `exp`,
 * `nbf`, `iss` and `aud`; `TokenService` checks header and claims; then the session must be live.
 */
@Injectable()
export class AccessStrategy extends PassportStrategy(JwtStrategy) {
  constructor(
    @Inject(SESSION_CONFIG) private readonly config: ResolvedSessionConfig,
    private readonly tokens: TokenService,
    private readonly sessions: SessionService,
  ) {
    const { secretOrKeyProvider, options } = tokens.accessVerification();
    super({
      jwtFromRequest: (req: CookieRequest) => extractAccessToken(req, config) ?? null,
      secretOrKeyProvider,
      // passport-jwt overwrites these three in jsonWebTokenOptions with its own top-level ones.
      jsonWebTokenOptions: options,
      algorithms: options.algorithms,
      issuer: options.issuer as string | undefined,
      audience: options.audience as string | undefined,
    });
  }

  /**
   * Resolves to the principal (with the role, claims and last credential check stored with the
   * session now), or `false` (401) when the session is no longer live.
   */
  async validate(decoded: Jwt): Promise<SessionPrincipal | false> {
    return (await this.sessions.resolvePrincipal(this.tokens.checkAccess(decoded))) ?? false;
  }

  /**
   * passport-jwt verifies with jsonwebtoken, which has no EdDSA: a token whose header says EdDSA
   * is verified by `TokenService` (with the configured EdDSA keys only) and then goes through
   * `validate` as passport-jwt would hand it over. Every other token takes passport-jwt's path.
   */
  override authenticate(req: CookieRequest, options?: object): void {
    const token = extractAccessToken(req, this.config);
    if (!token || readJwtHeader(token)?.alg !== 'EdDSA') {
      // passport-jwt types the request as Express's; it only hands it to jwtFromRequest.
      super.authenticate(req as Parameters<JwtStrategy['authenticate']>[0], options);
      return;
    }
    let decoded: Jwt;
    try {
      decoded = this.tokens.verifyAccessJwt(token);
    } catch (error) {
      this.fail(error, 401);
      return;
    }
    this.validate(decoded).then(
      (principal) => (principal ? this.success(principal) : this.fail(401)),
      (error: Error) => this.error(error),
    );
  }

  getPassportInstance(): { use(strategy: unknown): void } {
    return uniqueStrategyRegistry('access') as { use(strategy: unknown): void };
  }
}
