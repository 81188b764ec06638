import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ResolvedSessionConfig } from '../config/resolved-session-config.js';
import type { CookieRequest } from '../http/http.types.js';
import { requestOf } from '../http/execution-context-request.js';
import {
  hasAuthorizationHeader,
  isCrossSite,
  isUnsafeMethod,
  readCookie,
} from '../http/request-tokens.js';
import type { SessionPrincipal } from '../interfaces/session.interface.js';
import {
  assertFreshSession,
  isPublicRoute,
} from '../decorators/require-fresh-session.decorator.js';
import { SESSION_CONFIG } from '../session.constants.js';
import { CrossSiteRequestException, SessionUnauthorizedException } from '../session.exceptions.js';
import { SessionService } from '../session.service.js';
import { extractAccessToken } from '../strategies/access.strategy.js';
import { TokenService } from '../token.service.js';

/**
 * Lets a request through when it carries a valid access token (Bearer header or access cookie,
 * never query or body) whose session is still live; `@CurrentSession()` then gives its
 * principal. Routes marked `@Public()` pass untouched, so it can be installed globally with
 * `APP_GUARD`. Verifies through `TokenService` directly: the same checks as the passport-jwt
 * `AccessStrategy` (see `PassportAccessGuard`), without passport's per-request machinery.
 *
 * Meant to be extended: `extractToken`, `validate`, `usesCookie` and `getRequest` are hooks.
 * @example
 * ```ts
 * @UseGuards(AccessGuard)
 * @Get('me') me(@CurrentSession() session: SessionPrincipal) { return session; }
 * ```
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    @Inject(SESSION_CONFIG) protected readonly config: ResolvedSessionConfig,
    protected readonly tokens: TokenService,
    protected readonly sessions: SessionService,
    protected readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // @Public() opens the route, unless it asks for a fresh session (see isPublicRoute).
    if (isPublicRoute(this.reflector, context)) return true;
    const request = this.getRequest(context);
    if (
      isUnsafeMethod(request) &&
      this.usesCookie(request) &&
      isCrossSite(request, this.config.allowedOrigins, this.config.cookies.secure)
    ) {
      throw new CrossSiteRequestException();
    }
    const token = this.extractToken(request);
    if (!token) throw new SessionUnauthorizedException();
    request.user = await this.validate(token);
    // Step-up: a route marked @RequireFreshSession() also needs a recent credential check (403).
    assertFreshSession(this.reflector, context, request.user);
    return true;
  }

  /** The request: HTTP, a GraphQL context's `req`, or a socket's handshake (see `requestOf`). */
  protected getRequest(context: ExecutionContext): CookieRequest & { user?: SessionPrincipal } {
    return requestOf(context);
  }

  /** The access token: Bearer header, else the access cookie. */
  protected extractToken(request: CookieRequest): string | undefined {
    return extractAccessToken(request, this.config);
  }

  /**
   * The principal of a valid token whose session is live, with the role, claims and last
   * credential check stored with the session now; throws 401 (or 503) otherwise.
   */
  protected async validate(token: string): Promise<SessionPrincipal> {
    const principal = await this.sessions.resolvePrincipal(this.tokens.verifyAccess(token));
    if (!principal) throw new SessionUnauthorizedException();
    return principal;
  }

  /** Whether this request authenticates with the cookie (and so needs the same-site check). */
  protected usesCookie(request: CookieRequest): boolean {
    return usesAccessCookie(request, this.config);
  }
}

/** Whether a request authenticates with the access cookie: no Authorization header, a cookie. */
export function usesAccessCookie(request: CookieRequest, config: ResolvedSessionConfig): boolean {
  return (
    !hasAuthorizationHeader(request) &&
    config.cookies.enabled &&
    readCookie(request, config.cookies.accessName) !== undefined
  );
}
