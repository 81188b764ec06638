import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator.js';
import { FRESH_SESSION_KEY } from '../decorators/require-fresh-session.decorator.js';
import { ROLES_KEY } from '../decorators/roles.decorator.js';
import { SessionForbiddenException, SessionNotFreshException } from '../session.exceptions.js';
import type { SessionPrincipal } from '../tokens/token.types.js';

/**
 * What a route asks of its caller, read from its metadata: the last step of the pipeline, after
 * the session is known to be live. One home for `@Public()`, `@Roles()` and
 * `@RequireFreshSession()`.
 */
export class RoutePolicy {
  constructor(private readonly reflector: Reflector) {}

  /**
   * Whether `@Public()` opens the route. A route that asks for a fresh session needs a session:
   * `@RequireFreshSession()` (on the handler or its controller) keeps it closed unless the
   * handler itself is marked `@Public()`.
   */
  isPublic(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    if (this.reflector.get<boolean | undefined>(IS_PUBLIC_KEY, handler)) return true;
    if (this.freshness(context) !== undefined) return false;
    return this.reflector.get<boolean | undefined>(IS_PUBLIC_KEY, context.getClass()) === true;
  }

  /**
   * Throws 403 when the caller does not meet the route's `@RequireFreshSession()`
   * (`SessionNotFreshException`) or `@Roles()` (`SessionForbiddenException`).
   */
  enforce(context: ExecutionContext, principal: SessionPrincipal, now = Date.now()): void {
    const maxAgeMs = this.freshness(context);
    if (maxAgeMs !== undefined) {
      const at = principal.authenticatedAt?.getTime();
      if (at === undefined || !(now - at <= maxAgeMs)) throw new SessionNotFreshException();
    }
    this.enforceRoles(context, principal);
  }

  /** Whether the route lists roles with `@Roles()`. */
  requiresRole(context: ExecutionContext): boolean {
    return this.roles(context) !== undefined;
  }

  /** Throws 403 (`SessionForbiddenException`) when `@Roles()` does not list the caller's role. */
  enforceRoles(context: ExecutionContext, principal: SessionPrincipal): void {
    const roles = this.roles(context);
    if (roles === undefined) return;
    if (!principal.role || !roles.includes(principal.role)) throw new SessionForbiddenException();
  }

  private roles(context: ExecutionContext): string[] | undefined {
    const roles = this.reflector.getAllAndOverride<string[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    return roles && roles.length > 0 ? roles : undefined;
  }

  private freshness(context: ExecutionContext): number | undefined {
    return this.reflector.getAllAndOverride<number | undefined>(FRESH_SESSION_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
  }
}
