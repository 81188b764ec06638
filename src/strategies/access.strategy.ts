import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Jwt } from 'jsonwebtoken';
import { Strategy as JwtStrategy } from 'passport-jwt';
import type { ResolvedSessionConfig } from '../config/resolved-session-config.js';
import type { CookieRequest } from '../http/http.types.js';
import { readBearer, readCookie } from '../http/request-tokens.js';
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
  if (req.headers.authorization !== undefined) return readBearer(req);
  return config.cookies.enabled ? readCookie(req, config.cookies.accessName) : undefined;
}

/**
 * passport-jwt strategy of `PassportAccessGuard` (and `POST /auth/logout`): jsonwebtoken checks signature, pinned algorithm, `exp`,
 * `nbf`, `iss` and `aud`; `TokenService` checks header and claims; then the session must be live.
 */
@Injectable()
export class AccessStrategy extends PassportStrategy(JwtStrategy) {
  constructor(
    @Inject(SESSION_CONFIG) config: ResolvedSessionConfig,
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

  /** Resolves to the principal, or `false` (401) when the session is no longer live. */
  async validate(decoded: Jwt): Promise<SessionPrincipal | false> {
    const principal = this.tokens.checkAccess(decoded);
    const notAfter = principal.accessTokenExpiresAt.getTime();
    return (await this.sessions.isLive(principal.sessionId, notAfter)) ? principal : false;
  }

  getPassportInstance(): { use(strategy: unknown): void } {
    return uniqueStrategyRegistry('access') as { use(strategy: unknown): void };
  }
}
