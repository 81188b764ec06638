import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { requestOf } from '../http/execution-context-request.js';
import type { SessionPrincipal } from '../tokens/token.types.js';

/** The authenticated user as `@CurrentUser()` gives it. */
export interface CurrentUserInfo {
  id: string;
  role?: string;
  claims: SessionPrincipal['claims'];
}

/**
 * The caller's user (`{ id, role, claims }`), on a route behind `AccessGuard`.
 * @example
 * ```ts
 * @UseGuards(AccessGuard)
 * @Get('orders') list(@CurrentUser() user: CurrentUserInfo) { return this.orders.of(user.id); }
 * ```
 */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): CurrentUserInfo | undefined => {
    const principal = requestOf(context).user;
    return principal
      ? { id: principal.userId, role: principal.role, claims: principal.claims }
      : undefined;
  },
);
