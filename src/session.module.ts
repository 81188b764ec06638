import { randomBytes } from 'node:crypto';
import { Module, type DynamicModule } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AccessGuard } from './guards/access.guard.js';
import { PassportAccessGuard } from './guards/passport-access.guard.js';
import { LogoutGuard } from './guards/logout.guard.js';
import { RefreshGuard } from './guards/refresh.guard.js';
import { RolesGuard } from './guards/roles.guard.js';
import { WsSessionService } from './ws/ws-session.service.js';
import { RevocationCache } from './revocation/revocation-cache.js';
import { SessionEventPublisher } from './events/session-event-publisher.service.js';
import { SessionCookies } from './http/session-cookies.js';
import { SessionRepository } from './repositories/session.repository.js';
import { SESSION_CONFIG } from './session.constants.js';
import { ConfigurableModuleClass } from './session.module-definition.js';
import { sessionProviders } from './session.providers.js';
import { SessionStoreLifecycle } from './session-store.lifecycle.js';
import { SessionService } from './session.service.js';
import { AccessStrategy } from './strategies/access.strategy.js';
import { RefreshStrategy } from './strategies/refresh.strategy.js';
import { TokenService } from './token.service.js';
import { SessionTestingHelper } from './testing/session-testing.helper.js';
import { MemorySessionRepository } from './repositories/memory-session.repository.js';
import type {
  SessionModuleExtras,
  SessionModuleOptions,
} from './interfaces/session-options.interface.js';

/**
 * Secure, revocable sessions: `SessionModule.forRoot({ accessToken, refreshToken, redis })` or
 * `SessionModule.forRootAsync({ imports, inject, useFactory })`. Global by default.
 */
@Module({
  imports: [JwtModule.register({})],
  providers: [
    ...sessionProviders,
    TokenService,
    SessionCookies,
    SessionService,
    AccessStrategy,
    RefreshStrategy,
    AccessGuard,
    PassportAccessGuard,
    RefreshGuard,
    LogoutGuard,
    RolesGuard,
    WsSessionService,
    SessionStoreLifecycle,
    RevocationCache,
    SessionEventPublisher,
  ],
  exports: [
    SESSION_CONFIG,
    SessionService,
    SessionRepository,
    TokenService,
    AccessStrategy,
    RefreshStrategy,
    AccessGuard,
    PassportAccessGuard,
    RefreshGuard,
    RolesGuard,
    WsSessionService,
  ],
})
export class SessionModule extends ConfigurableModuleClass {
  /**
   * The module for an app's own tests: in-memory sessions (no Redis), random secrets, cookies
   * without `Secure` (test clients speak plain http), and `SessionTestingHelper` to create
   * sessions. `overrides` are merged over these.
   */
  static forTesting(
    overrides: Partial<SessionModuleOptions> & SessionModuleExtras = {},
  ): DynamicModule {
    const module = SessionModule.forRoot({
      accessToken: { secret: randomBytes(48) },
      refreshToken: { secret: randomBytes(48) },
      repository: new MemorySessionRepository(),
      cookies: { secure: false },
      ...overrides,
    });
    return {
      ...module,
      providers: [...(module.providers ?? []), SessionTestingHelper],
      exports: [...(module.exports ?? []), SessionTestingHelper],
    };
  }
}
