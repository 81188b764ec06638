import {
  Inject,
  Logger,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { SafeErrorFilter, SessionModule } from 'nest-redis-sessions';
import { AppController } from './app.controller.js';
import { AccountController } from './account/account.controller.js';
import { LoginController } from './auth/login.controller.js';
import { ReauthController } from './auth/reauth.controller.js';
import { withBench } from './bench/bench.module.js';
import { sampleOptionsFromEnv, type SampleConfig } from './config.js';
import { HealthModule } from './health/health.module.js';
import { PageController } from './page/page.controller.js';
import { MeController } from './profile/me.controller.js';
import { UsersService } from './users/users.service.js';

/** Injection token of the parsed `SampleConfig`. */
export const SAMPLE_CONFIG = Symbol('SAMPLE_CONFIG');

/** The sample app. Build it with `AppModule.register(env)`, so that tests can give their own env. */
@Module({})
export class AppModule implements OnApplicationBootstrap {
  private readonly logger = new Logger('SampleApp');

  constructor(@Inject(SAMPLE_CONFIG) private readonly config: SampleConfig) {}

  /**
   * The app configured from `env` (see `config.ts`).
   * @throws SampleConfigError naming the variable when a value is bad.
   */
  static register(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    const config = sampleOptionsFromEnv(env);
    const app: DynamicModule = {
      module: AppModule,
      imports: [
        SessionModule.forRoot(config.session),
        HealthModule,
        ...rateLimiting(config.rateLimitPerMinute),
      ],
      controllers: [
        LoginController,
        ReauthController,
        AccountController,
        MeController,
        AppController,
        PageController,
      ],
      providers: [
        UsersService,
        { provide: SAMPLE_CONFIG, useValue: config },
        { provide: APP_FILTER, useClass: SafeErrorFilter },
      ],
    };
    // BENCH refuses ACCESS_PRIVATE_KEY (config.ts): the HMAC access secret is always set here.
    return config.bench ? withBench(app, config.session.accessToken.secret!) : app;
  }

  onApplicationBootstrap(): void {
    for (const { level, message } of this.config.notices) this.logger[level](message);
  }
}

/**
 * The rate-limit module, loaded only when a limit is set: `@nestjs/throttler` is CommonJS that
 * requires the ESM-only `@nestjs/common`, which Node 20 does natively but jest's ESM runtime on
 * Node 20 cannot, so the in-process tests run without it and one test runs the built app.
 */
function rateLimiting(perMinute: number): Promise<DynamicModule>[] {
  if (perMinute === 0) return [];
  return [import('./auth/rate-limit.module.js').then((m) => m.RateLimitModule.forRoot(perMinute))];
}
