import { HttpException, type ExecutionContext } from '@nestjs/common';
import { AuthGuard, type IAuthModuleOptions } from '@nestjs/passport';
import type { ResolvedSessionConfig } from '../config/resolved-session-config.js';
import type { CookieRequest } from '../http/http.types.js';
import { isCrossSite, isUnsafeMethod } from '../http/request-tokens.js';
import { CrossSiteRequestException, SessionUnauthorizedException } from '../session.exceptions.js';

/**
 * Base of the module's guards: runs the given passport strategies (tried in order) and turns every
 * failure into the one 401, keeping 403 and 503. Cookie-authenticated writes from another site
 * are refused with 403 before any token is looked at.
 */
export abstract class SessionAuthGuard extends AuthGuard() {
  protected constructor(
    protected readonly config: ResolvedSessionConfig,
    strategyNames: string[],
  ) {
    const options: IAuthModuleOptions = {
      defaultStrategy: strategyNames.length === 1 ? strategyNames[0] : strategyNames,
      session: false,
    };
    super(options);
  }

  /** Whether this request authenticates with a cookie (and so needs the same-site check). */
  protected abstract usesCookie(request: CookieRequest): boolean;

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = this.getRequest(context) as CookieRequest;
    if (
      isUnsafeMethod(request) &&
      this.usesCookie(request) &&
      isCrossSite(request, this.config.allowedOrigins, this.config.cookies.secure)
    ) {
      throw new CrossSiteRequestException();
    }
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false): TUser {
    if (error instanceof HttpException && error.getStatus() !== 401) throw error;
    if (error || !user) throw new SessionUnauthorizedException();
    return user;
  }
}
