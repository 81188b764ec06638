import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { SessionPassportModule } from 'nest-redis-sessions/passport';
import { UsersService } from '../users/users.service.js';
import { BenchController } from './bench.controller.js';
import {
  BENCH_ACCESS_SECRET,
  BenchKeyObjectStrategy,
  BenchStringSecretStrategy,
} from './bench-jwt.strategies.js';
import { BenchUsersService } from './bench-users.service.js';

/** The routes that only `npm run bench` needs (`/bench/*`), with their passport strategies. */
@Module({})
export class BenchModule {
  static register(accessSecret: string | Buffer): DynamicModule {
    return {
      module: BenchModule,
      imports: [SessionPassportModule],
      controllers: [BenchController],
      providers: [
        { provide: BENCH_ACCESS_SECRET, useValue: accessSecret },
        BenchStringSecretStrategy,
        BenchKeyObjectStrategy,
      ],
    };
  }
}

/**
 * The sample app as `npm run bench` runs it (`BENCH=1`, never by default): adds `BenchModule`
 * and replaces the scrypt user store with `BenchUsersService`.
 */
export function withBench(app: DynamicModule, accessSecret: string | Buffer): DynamicModule {
  const providers = (app.providers ?? []).map((provider): Provider =>
    provider === UsersService ? { provide: UsersService, useClass: BenchUsersService } : provider,
  );
  return {
    ...app,
    imports: [...(app.imports ?? []), BenchModule.register(accessSecret)],
    providers,
  };
}
