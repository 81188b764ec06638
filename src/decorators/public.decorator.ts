import { SetMetadata } from '@nestjs/common';

/** Metadata key of `@Public()`. */
export const IS_PUBLIC_KEY = 'nest-redis-sessions:public';

/**
 * Marks a route or controller as open when `AccessGuard` is installed globally (`APP_GUARD`).
 * A handler that asks for a fresh session (`@RequireFreshSession()`) is opened only by `@Public()`
 * on the handler itself, not by one on its controller.
 * @example
 * ```ts
 * @Public()
 * @Get('health') health() { return { ok: true }; }
 * ```
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
