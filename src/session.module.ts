import { randomBytes } from 'node:crypto';
import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import { SESSION_CONFIG, SESSION_EXTRAS, SESSION_GUARD_OPTIONS } from './config/config.tokens.js';
import { resolveSessionConfig } from './config/resolve-config.js';
import { guardOptionsOf, type ResolvedSessionConfig } from './config/resolved-config.js';
import type {
  SessionModuleAsyncOptions,
  SessionModuleExtras,
  SessionModuleOptions,
} from './config/session-options.js';
import { SessionEventPublisher } from './events/session-event.publisher.js';
import { AccessGuard } from './guards/access.guard.js';
import { LogoutGuard } from './guards/logout.guard.js';
import { RefreshGuard } from './guards/refresh.guard.js';
import { RolesGuard } from './guards/roles.guard.js';
import { SessionVerifier } from './guards/session-verifier.js';
import { SessionCookies } from './http/session-cookies.js';
import { createAuthController } from './routes/auth.controller.js';
import {
  ConfigurableModuleClass,
  DEFAULT_EXTRAS,
  MODULE_OPTIONS_TOKEN,
} from './session.module-definition.js';
import { SessionService } from './session.service.js';
import { MemorySessionRepository } from './store/memory-session.repository.js';
import { SessionRepository } from './store/session.repository.js';
import { SessionStoreLifecycle } from './store/store.lifecycle.js';
import { storeProviders } from './store/store.providers.js';
import { SessionTestingHelper } from './testing/session-testing.helper.js';
import { createJwksController } from './tokens/jwks.controller.js';
import { TokenService } from './tokens/token.service.js';
import { WsSessionService } from './ws/ws-session.service.js';

/**
 * Secure, revocable sessions: `SessionModule.forRoot({ accessToken, refreshToken, redis })` or
 * `SessionModule.forRootAsync({ imports, inject, useFactory })`. Global by default. Mounts the
 * session routes (`routes` extra) and the JWKS route (`jwks` extra).
 */
@Module({
  providers: [
    {
      provide: SESSION_CONFIG,
      useFactory: (options: SessionModuleOptions, extras: SessionModuleExtras) =>
        resolveSessionConfig(options, extras),
      inject: [MODULE_OPTIONS_TOKEN, SESSION_EXTRAS],
    },
    {
      provide: SESSION_GUARD_OPTIONS,
      useFactory: (config: ResolvedSessionConfig) => guardOptionsOf(config),
      inject: [SESSION_CONFIG],
    },
    ...storeProviders,
    SessionStoreLifecycle,
    TokenService,
    SessionCookies,
    SessionVerifier,
    SessionEventPublisher,
    SessionService,
    AccessGuard,
    RefreshGuard,
    LogoutGuard,
    RolesGuard,
    WsSessionService,
  ],
  exports: [
    SESSION_GUARD_OPTIONS,
    SessionService,
    SessionRepository,
    SessionVerifier,
    AccessGuard,
    RefreshGuard,
    RolesGuard,
    WsSessionService,
  ],
})
export class SessionModule extends ConfigurableModuleClass {
  /** The module with `options`, its session routes and (with the `jwks` extra) the JWKS route. */
  static override forRoot(options: SessionModuleOptions & SessionModuleExtras): DynamicModule {
    return mountRoutes(super.forRoot(options), options);
  }

  /** As `forRoot`, with the options from a factory; the extras are given here, not by it. */
  static override forRootAsync(options: SessionModuleAsyncOptions): DynamicModule {
    return mountRoutes(super.forRootAsync(options), options);
  }

  /**
   * The module for an app's own tests: in-memory sessions (no Redis), random secrets, cookies
   * without `Secure` (test clients speak plain http), and `SessionTestingHelper` (from
   * `nest-redis-sessions/testing`) to create sessions. `overrides` are merged over these.
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

/** Adds the extras' controllers and the extras themselves (never the options) to a module. */
function mountRoutes(module: DynamicModule, given: SessionModuleExtras): DynamicModule {
  const extras: SessionModuleExtras = {
    isGlobal: given.isGlobal ?? DEFAULT_EXTRAS.isGlobal,
    routes: given.routes ?? DEFAULT_EXTRAS.routes,
    jwks: given.jwks ?? DEFAULT_EXTRAS.jwks,
  };
  const controllers: Type[] = [
    ...(extras.routes === false ? [] : [createAuthController(extras.routes?.prefix ?? 'auth')]),
    ...(extras.jwks ? [createJwksController(extras.jwks)] : []),
  ];
  const provider: Provider = { provide: SESSION_EXTRAS, useValue: extras };
  return {
    ...module,
    controllers: [...(module.controllers ?? []), ...controllers],
    providers: [...(module.providers ?? []), provider],
  };
}
