import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { requestOf } from '../http/execution-context-request.js';
import { SessionUnauthorizedException } from '../session.exceptions.js';
import { RoutePolicy } from './route-policy.js';

/**
 * Checks the caller's role against `@Roles(...)` (403 when it is not listed), after a guard that
 * left the principal on `request.user` (`AccessGuard` already checks `@Roles()` itself; use this
 * one after another guard, e.g. the passport subpath's). Without `@Roles` it lets all pass.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  private readonly policy: RoutePolicy;

  constructor(protected readonly reflector: Reflector) {
    this.policy = new RoutePolicy(reflector);
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.policy.requiresRole(context)) return true;
    const principal = requestOf(context).user;
    if (!principal) throw new SessionUnauthorizedException();
    this.policy.enforceRoles(context, principal);
    return true;
  }
}
