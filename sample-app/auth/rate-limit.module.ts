import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuthThrottlerGuard } from './auth-throttler.guard.js';

/** Per-IP limits on login and refresh with `@nestjs/throttler` (429 with `Retry-After`). */
@Module({})
export class RateLimitModule {
  static forRoot(perMinute: number): DynamicModule {
    return {
      module: RateLimitModule,
      imports: [
        ThrottlerModule.forRoot({
          throttlers: [{ ttl: 60_000, limit: perMinute }],
          errorMessage: 'Too many requests',
        }),
      ],
      providers: [{ provide: APP_GUARD, useClass: AuthThrottlerGuard }],
    };
  }
}
