import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { requestOf } from '../http/execution-context-request.js';
import type { SessionPrincipal } from '../tokens/token.types.js';

/**
 * The caller's session principal (`{ userId, sessionId, role, claims, accessTokenExpiresAt }`),
 * on a route behind `AccessGuard`.
 * @example
 * ```ts
 * @UseGuards(AccessGuard)
 * @Get('me') me(@CurrentSession() session: SessionPrincipal) { return session.userId; }
 * ```
 */
export const CurrentSession = createParamDecorator(
  (_data: unknown, context: ExecutionContext): SessionPrincipal | undefined =>
    requestOf(context).user,
);
