import { HttpException, Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { RoutePolicy } from '../guards/route-policy.js';
import { SessionUnauthorizedException } from '../session.exceptions.js';
import type { SessionPrincipal } from '../tokens/token.types.js';
import { SessionPassportStrategy } from './session.strategy.js';

/**
 * `AccessGuard`'s answers through `@nestjs/passport` and `SessionPassportStrategy`: `@Public()`,
 * `@Roles()` and `@RequireFreshSession()` included, every failure one 401 (403 and 503 kept).
 * HTTP only. Needs `SessionPassportModule` imported.
 * @example
 * ```ts
 * @UseGuards(PassportAccessGuard)
 * @Get('me') me(@CurrentSession() session: SessionPrincipal) { return session; }
 * ```
 */
@Injectable()
export class PassportAccessGuard extends AuthGuard() {
  private readonly policy: RoutePolicy;

  constructor(
    strategy: SessionPassportStrategy,
    protected readonly reflector: Reflector,
  ) {
    super({ defaultStrategy: strategy.name, session: false });
    this.policy = new RoutePolicy(reflector);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.policy.isPublic(context)) return true;
    await super.canActivate(context);
    const { user } = this.getRequest(context) as { user: SessionPrincipal };
    this.policy.enforce(context, user);
    return true;
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false): TUser {
    if (error instanceof HttpException && error.getStatus() !== 401) throw error;
    if (error || !user) throw new SessionUnauthorizedException();
    return user;
  }
}
