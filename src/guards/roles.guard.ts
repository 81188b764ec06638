import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { requestOf } from '../http/execution-context-request.js';
import { ROLES_KEY } from '../session.constants.js';
import { SessionForbiddenException, SessionUnauthorizedException } from '../session.exceptions.js';

/**
 * Checks the `role` claim of the caller against `@Roles(...)` (403 when it is not listed). Put it
 * after `AccessGuard`: `@UseGuards(AccessGuard, RolesGuard)`. Without `@Roles` it lets all pass.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(protected readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<string[] | undefined>(ROLES_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!roles || roles.length === 0) return true;
    const principal = requestOf(context).user;
    if (!principal) throw new SessionUnauthorizedException();
    if (!principal.role || !roles.includes(principal.role)) throw new SessionForbiddenException();
    return true;
  }
}
