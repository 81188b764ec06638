/**
 * `nest-redis-sessions/health`: the session store's `@nestjs/terminus` health indicator. A
 * subpath of its own because `@nestjs/terminus` is an optional peer dependency: the main entry
 * point never loads it.
 */
export { SessionHealthIndicator, SESSION_STORE_DOWN_MESSAGE } from './session.health.js';
export type { SessionHealthOptions } from './session.health.js';
export { SessionHealthModule } from './session-health.module.js';
