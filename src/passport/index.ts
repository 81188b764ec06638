/**
 * `nest-redis-sessions/passport`: the session check as a passport strategy and guard, for apps
 * that compose passport strategies. A subpath of its own because `@nestjs/passport` and
 * `passport` are optional peer dependencies: the main entry point never loads them.
 */
export { PassportAccessGuard } from './passport-access.guard.js';
export { SessionPassportModule } from './session-passport.module.js';
export { SessionPassportStrategy } from './session.strategy.js';
