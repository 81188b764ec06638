import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Jwt } from 'jsonwebtoken';
import { Strategy as JwtStrategy } from 'passport-jwt';
import type { ResolvedSessionConfig } from '../config/resolved-session-config.js';
import type { CookieRequest } from '../http/http.types.js';
import { readBodyRefreshToken, readCookie } from '../http/request-tokens.js';
import type { RefreshPrincipal } from '../interfaces/token-payload.interface.js';
import { SESSION_CONFIG } from '../session.constants.js';
import { TokenService } from '../token.service.js';
import { uniqueStrategyRegistry } from './register-strategy.js';

/** The refresh token: its cookie, or else the JSON body when `acceptFromBody` is on. */
export function extractRefreshToken(
  req: CookieRequest,
  config: ResolvedSessionConfig,
): { token: string; fromCookie: boolean } | undefined {
  const cookie = config.cookies.enabled ? readCookie(req, config.cookies.refreshName) : undefined;
  if (cookie) return { token: cookie, fromCookie: true };
  const body = config.refresh.acceptFromBody ? readBodyRefreshToken(req) : undefined;
  return body ? { token: body, fromCookie: false } : undefined;
}

/** passport-jwt strategy of `RefreshGuard`: verifies a refresh token (rotation is the service's). */
@Injectable()
export class RefreshStrategy extends PassportStrategy(JwtStrategy) {
  constructor(
    @Inject(SESSION_CONFIG) config: ResolvedSessionConfig,
    private readonly tokens: TokenService,
  ) {
    const { secretOrKeyProvider, options } = tokens.refreshVerification();
    super({
      jwtFromRequest: (req: CookieRequest) => extractRefreshToken(req, config)?.token ?? null,
      secretOrKeyProvider,
      // passport-jwt overwrites these three in jsonWebTokenOptions with its own top-level ones.
      jsonWebTokenOptions: options,
      algorithms: options.algorithms,
      issuer: options.issuer as string | undefined,
      audience: options.audience as string | undefined,
    });
  }

  validate(decoded: Jwt): RefreshPrincipal {
    return this.tokens.checkRefresh(decoded);
  }

  getPassportInstance(): { use(strategy: unknown): void } {
    return uniqueStrategyRegistry('refresh') as { use(strategy: unknown): void };
  }
}
