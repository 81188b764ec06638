import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedSessionConfig } from '../config/resolved-session-config.js';
import type { CookieRequest } from '../http/http.types.js';
import { SESSION_CONFIG } from '../session.constants.js';
import { extractRefreshToken, RefreshStrategy } from '../strategies/refresh.strategy.js';
import { SessionAuthGuard } from './session-auth.guard.js';

/**
 * Lets a request through when it carries a valid refresh token (cookie, or JSON body when
 * `acceptFromBody` is on) and leaves a `RefreshPrincipal` on `request.user`. It verifies the token
 * only; rotation and reuse detection happen in `SessionService`.
 */
@Injectable()
export class RefreshGuard extends SessionAuthGuard {
  constructor(@Inject(SESSION_CONFIG) config: ResolvedSessionConfig, strategy: RefreshStrategy) {
    super(config, [strategy.name]);
  }

  protected usesCookie(request: CookieRequest): boolean {
    return extractRefreshToken(request, this.config)?.fromCookie === true;
  }
}
