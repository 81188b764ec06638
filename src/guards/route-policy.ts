import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator.js';
import { FRESH_SESSION_KEY } from '../decorators/require-fresh-session.decorator.js';
import { ROLES_KEY } from '../decorators/roles.decorator.js';
import { SessionForbiddenException, SessionNotFreshException } from '../session.exceptions.js';
import type { SessionPrincipal } from '../tokens/token.types.js';

/** What a route's metadata asks of its caller, read once per handler and class. */
interface RouteRules {
  /** `@Public()` opens the route (see `isPublic`). */
  open: boolean;
  /** `@RequireFreshSession()`: the longest time since the last credential check, in ms. */
  maxAgeMs: number | undefined;
  /** `@Roles()`: the roles let in, or `undefined` when the route lists none. */
  roles: readonly string[] | undefined;
}

/**
 * What a route asks of its caller, read from its metadata: the last step of the pipeline, after
 * the session is known to be live. One home for `@Public()`, `@Roles()` and
 * `@RequireFreshSession()`. Decorators set metadata when a class is defined, so the rules of a
 * handler are read once and kept (per handler, then per class: an inherited handler can serve
 * controllers with different class-level metadata).
 */
export class RoutePolicy {
  private readonly rules = new WeakMap<object, WeakMap<object, RouteRules>>();

  constructor(private readonly reflector: Reflector) {}

  /**
   * Whether `@Public()` opens the route. A route that asks for a fresh session needs a session:
   * `@RequireFreshSession()` (on the handler or its controller) keeps it closed unless the
   * handler itself is marked `@Public()`.
   */
  isPublic(context: ExecutionContext): boolean {
    return this.rulesOf(context).open;
  }

  /**
   * Throws 403 when the caller does not meet the route's `@RequireFreshSession()`
   * (`SessionNotFreshException`) or `@Roles()` (`SessionForbiddenException`).
   */
  enforce(context: ExecutionContext, principal: SessionPrincipal, now = Date.now()): void {
    const { maxAgeMs } = this.rulesOf(context);
    if (maxAgeMs !== undefined) {
      const at = principal.authenticatedAt?.getTime();
      if (at === undefined || !(now - at <= maxAgeMs)) throw new SessionNotFreshException();
    }
    this.enforceRoles(context, principal);
  }

  /** Whether the route lists roles with `@Roles()`. */
  requiresRole(context: ExecutionContext): boolean {
    return this.rulesOf(context).roles !== undefined;
  }

  /** Throws 403 (`SessionForbiddenException`) when `@Roles()` does not list the caller's role. */
  enforceRoles(context: ExecutionContext, principal: SessionPrincipal): void {
    const { roles } = this.rulesOf(context);
    if (roles === undefined) return;
    if (!principal.role || !roles.includes(principal.role)) throw new SessionForbiddenException();
  }

  private rulesOf(context: ExecutionContext): RouteRules {
    const handler = context.getHandler();
    const controller = context.getClass();
    if (typeof handler !== 'function' || typeof controller !== 'function') {
      return this.read(handler, controller); // a hand-made context: nothing to key on
    }
    let byClass = this.rules.get(handler);
    if (!byClass) this.rules.set(handler, (byClass = new WeakMap()));
    let rules = byClass.get(controller);
    if (!rules) byClass.set(controller, (rules = this.read(handler, controller)));
    return rules;
  }

  private read(handler: object, controller: object): RouteRules {
    const targets = [handler, controller] as Parameters<Reflector['getAllAndOverride']>[1];
    const maxAgeMs = this.reflector.getAllAndOverride<number | undefined>(
      FRESH_SESSION_KEY,
      targets,
    );
    const roles = this.reflector.getAllAndOverride<string[] | undefined>(ROLES_KEY, targets);
    const onHandler = this.reflector.get<boolean | undefined>(IS_PUBLIC_KEY, handler as never);
    const onClass = this.reflector.get<boolean | undefined>(IS_PUBLIC_KEY, controller as never);
    return {
      open: Boolean(onHandler) || (maxAgeMs === undefined && onClass === true),
      maxAgeMs,
      roles: roles && roles.length > 0 ? [...roles] : undefined,
    };
  }
}
