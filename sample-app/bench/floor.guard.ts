import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { SessionPrincipal } from 'nest-redis-sessions';

/**
 * The floor of any Nest guard (`npm run bench` only): no token, no store, just a principal on the
 * request, through the same guard, parameter decorator and answer as `GET /me`. What `GET /me`
 * costs over this is what `AccessGuard` itself costs.
 */
@Injectable()
export class FloorGuard implements CanActivate {
  canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<{ user?: SessionPrincipal }>();
    request.user = {
      userId: 'bench-0',
      sessionId: 'YmVuY2gtMA.0123456789012345678901234567890123456789abc',
      role: undefined,
      claims: {},
      accessTokenExpiresAt: new Date(Date.now() + 60_000),
      authenticatedAt: new Date(),
    };
    return Promise.resolve(true);
  }
}
