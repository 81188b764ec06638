import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ResolvedSessionConfig } from '../config/resolved-session-config.js';
import type { CookieRequest } from '../http/http.types.js';
import { hasAuthorizationHeader, readCookie } from '../http/request-tokens.js';
import { IS_PUBLIC_KEY, SESSION_CONFIG } from '../session.constants.js';
import { AccessStrategy } from '../strategies/access.strategy.js';
import { SessionAuthGuard } from './session-auth.guard.js';

/**
 * Lets a request through when it carries a valid access token (Bearer header or access cookie)
 * whose session is still live; `@CurrentSession()` then gives its principal. Routes marked
 * `@Public()` pass untouched, so it can be installed globally with `APP_GUARD`.
 *
 * Meant to be extended: override `canActivate`, `handleRequest` or `usesCookie` in a subclass.
 * @example
 * ```ts
 * @UseGuards(AccessGuard)
 * @Get('me') me(@CurrentSession() session: SessionPrincipal) { return session; }
 * ```
 */
@Injectable()
export class AccessGuard extends SessionAuthGuard {
  constructor(
    @Inject(SESSION_CONFIG) config: ResolvedSessionConfig,
    strategy: AccessStrategy,
    protected readonly reflector: Reflector,
  ) {
    super(config, [strategy.name]);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    return super.canActivate(context);
  }

  protected usesCookie(request: CookieRequest): boolean {
    return (
      !hasAuthorizationHeader(request) &&
      this.config.cookies.enabled &&
      readCookie(request, this.config.cookies.accessName) !== undefined
    );
  }
}
