import { SetMetadata } from '@nestjs/common';

/** Metadata key of `@Roles()`. */
export const ROLES_KEY = 'nest-redis-sessions:roles';

/**
 * Roles allowed on a route or controller, checked against the caller's role (the one stored with
 * the session now) by `AccessGuard` (403 when it is not listed); `RolesGuard` checks the same
 * after another guard that sets `request.user`.
 * @example
 * ```ts
 * @UseGuards(AccessGuard)
 * @Roles('admin')
 * @Get('admin') admin() { return { ok: true }; }
 * ```
 */
export const Roles = (...roles: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_KEY, roles);
