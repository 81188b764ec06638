import { SetMetadata } from '@nestjs/common';
import { ROLES_KEY } from '../session.constants.js';

/**
 * Roles allowed on a route or controller, checked by `RolesGuard` against the `role` claim.
 * @example
 * ```ts
 * @UseGuards(AccessGuard, RolesGuard)
 * @Roles('admin')
 * @Get('admin') admin() { return { ok: true }; }
 * ```
 */
export const Roles = (...roles: string[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ROLES_KEY, roles);
