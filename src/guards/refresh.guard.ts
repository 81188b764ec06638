import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { ResolvedSessionConfig } from '../config/resolved-session-config.js';
import type { CookieRequest } from '../http/http.types.js';
import { isCrossSite, isUnsafeMethod } from '../http/request-tokens.js';
import type { RefreshPrincipal } from '../interfaces/token-payload.interface.js';
import { SESSION_CONFIG } from '../session.constants.js';
import { CrossSiteRequestException, SessionUnauthorizedException } from '../session.exceptions.js';
import { extractRefreshToken } from '../strategies/refresh.strategy.js';
import { TokenService } from '../token.service.js';

/**
 * Lets a request through when it carries a valid refresh token (cookie, or JSON body when
 * `acceptFromBody` is on) and leaves a `RefreshPrincipal` on `request.user`. It verifies the
 * token only (through `TokenService`, as `RefreshStrategy` would, without passport's per-request
 * cost); rotation and reuse detection happen in `SessionService`. A cookie-carried token from
 * another site is refused with 403.
 */
@Injectable()
export class RefreshGuard implements CanActivate {
  constructor(
    @Inject(SESSION_CONFIG) protected readonly config: ResolvedSessionConfig,
    protected readonly tokens: TokenService,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = this.getRequest(context);
    const found = extractRefreshToken(request, this.config);
    if (
      found?.fromCookie &&
      isUnsafeMethod(request) &&
      isCrossSite(request, this.config.allowedOrigins, this.config.cookies.secure)
    ) {
      throw new CrossSiteRequestException();
    }
    if (!found) throw new SessionUnauthorizedException();
    request.user = this.tokens.verifyRefresh(found.token);
    return true;
  }

  /** The request (override for other transports). */
  protected getRequest(context: ExecutionContext): CookieRequest & { user?: RefreshPrincipal } {
    return context.switchToHttp().getRequest();
  }
}
