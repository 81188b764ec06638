import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ResolvedSessionConfig } from '../config/resolved-session-config.js';
import type { CookieRequest } from '../http/http.types.js';
import {
  assertFreshSession,
  isPublicRoute,
} from '../decorators/require-fresh-session.decorator.js';
import type { SessionPrincipal } from '../interfaces/session.interface.js';
import { SESSION_CONFIG } from '../session.constants.js';
import { AccessStrategy } from '../strategies/access.strategy.js';
import { usesAccessCookie } from './access.guard.js';
import { SessionAuthGuard } from './session-auth.guard.js';

/**
 * `AccessGuard`'s checks through `@nestjs/passport` and the module's passport-jwt strategy
 * (`AccessStrategy`), for apps that compose it with passport's machinery. Same answers as
 * `AccessGuard`, which skips passport's per-request cost and is what the module's routes use.
 * @example
 * ```ts
 * @UseGuards(PassportAccessGuard)
 * @Get('me') me(@CurrentSession() session: SessionPrincipal) { return session; }
 * ```
 */
@Injectable()
export class PassportAccessGuard extends SessionAuthGuard {
  constructor(
    @Inject(SESSION_CONFIG) config: ResolvedSessionConfig,
    strategy: AccessStrategy,
    protected readonly reflector: Reflector,
  ) {
    super(config, [strategy.name]);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (isPublicRoute(this.reflector, context)) return true;
    const allowed = await super.canActivate(context);
    const { user } = this.getRequest(context) as { user?: SessionPrincipal };
    if (allowed && user) assertFreshSession(this.reflector, context, user);
    return allowed;
  }

  protected usesCookie(request: CookieRequest): boolean {
    return usesAccessCookie(request, this.config);
  }
}
