import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedSessionConfig } from '../config/resolved-session-config.js';
import type { CookieRequest } from '../http/http.types.js';
import { hasAuthorizationHeader, readCookie } from '../http/request-tokens.js';
import { SESSION_CONFIG } from '../session.constants.js';
import { AccessStrategy } from '../strategies/access.strategy.js';
import { RefreshStrategy } from '../strategies/refresh.strategy.js';
import { SessionAuthGuard } from './session-auth.guard.js';

/** Guard of `POST /auth/logout`: a live access token, or else a valid refresh token. */
@Injectable()
export class LogoutGuard extends SessionAuthGuard {
  constructor(
    @Inject(SESSION_CONFIG) config: ResolvedSessionConfig,
    access: AccessStrategy,
    refresh: RefreshStrategy,
  ) {
    super(config, [access.name, refresh.name]);
  }

  protected usesCookie(request: CookieRequest): boolean {
    const { cookies } = this.config;
    return (
      !hasAuthorizationHeader(request) &&
      cookies.enabled &&
      (readCookie(request, cookies.accessName) !== undefined ||
        readCookie(request, cookies.refreshName) !== undefined)
    );
  }
}
