import { SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { parseDuration } from '../config/duration.js';
import type { Duration } from '../interfaces/session-options.interface.js';
import type { SessionPrincipal } from '../interfaces/session.interface.js';
import { IS_PUBLIC_KEY } from '../session.constants.js';
import { SessionArgumentError } from '../session.exceptions.js';
import { SessionNotFreshException } from '../session-not-fresh.exception.js';

/** Metadata key of `@RequireFreshSession()`: the maximum age in milliseconds. */
export const FRESH_SESSION_KEY = 'nest-session:fresh';

/**
 * Step-up: the route needs a session whose last credential check (the login, or
 * `SessionService.markFresh()` after a password re-entry) is at most `maxAge` old; otherwise
 * `AccessGuard` (or `PassportAccessGuard`) answers 403 `{ code: 'SESSION_NOT_FRESH' }`. On a
 * controller it applies to every route; a handler's own value wins. It implies a session: a
 * `@Public()` controller does not open it (only `@Public()` on the handler itself does).
 * @param maxAge milliseconds, or a string such as `'5m'`; parsed when the class is decorated, so a
 *   bad value fails at start-up (`SessionArgumentError`).
 * @example
 * ```ts
 * @UseGuards(AccessGuard)
 * @RequireFreshSession('5m')
 * @Post('account/email') changeEmail() { ... }
 * ```
 */
export function RequireFreshSession(maxAge: Duration): MethodDecorator & ClassDecorator {
  const ms = parseDuration(maxAge);
  if (ms === undefined || ms < 1) {
    throw new SessionArgumentError(
      "@RequireFreshSession(maxAge): maxAge must be a positive duration such as '5m' or a number of milliseconds",
    );
  }
  return SetMetadata(FRESH_SESSION_KEY, ms);
}

/**
 * Whether `@Public()` opens the route for the access guards. A route that asks for a fresh session
 * needs a session: `@RequireFreshSession()` (on the handler or its controller) keeps it closed
 * unless the handler itself is marked `@Public()`.
 */
export function isPublicRoute(reflector: Reflector, context: ExecutionContext): boolean {
  const handler = context.getHandler();
  if (reflector.get<boolean | undefined>(IS_PUBLIC_KEY, handler)) return true;
  const fresh = reflector.getAllAndOverride<number | undefined>(FRESH_SESSION_KEY, [
    handler,
    context.getClass(),
  ]);
  if (fresh !== undefined) return false;
  return reflector.get<boolean | undefined>(IS_PUBLIC_KEY, context.getClass()) === true;
}

/**
 * Throws `SessionNotFreshException` (403) when the route asks for a fresh session and the
 * principal's last credential check is older than that (or unknown). Used by the access guards.
 */
export function assertFreshSession(
  reflector: Reflector,
  context: ExecutionContext,
  principal: SessionPrincipal,
  now = Date.now(),
): void {
  const maxAgeMs = reflector.getAllAndOverride<number | undefined>(FRESH_SESSION_KEY, [
    context.getHandler(),
    context.getClass(),
  ]);
  if (maxAgeMs === undefined) return;
  const at = principal.authenticatedAt?.getTime();
  if (at === undefined || !(now - at <= maxAgeMs)) throw new SessionNotFreshException();
}
