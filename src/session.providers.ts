import type { Provider } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { resolveSessionConfig } from './config/resolve-session-config.js';
import type { ResolvedSessionConfig } from './config/resolved-session-config.js';
import type {
  SessionModuleExtras,
  SessionModuleOptions,
} from './interfaces/session-options.interface.js';
import { createSessionRedisClient } from './repositories/redis-client.factory.js';
import { RedisSessionRepository } from './repositories/redis-session.repository.js';
import { SessionRepository } from './repositories/session.repository.js';
import { SESSION_CONFIG, SESSION_EXTRAS, SESSION_REDIS } from './session.constants.js';
import { MODULE_OPTIONS_TOKEN } from './session.module-definition.js';

/** The module's Redis client and whether the module created it (and so must close it). */
export interface SessionRedisHandle {
  client: Redis | Cluster;
  owned: boolean;
}

export const sessionProviders: Provider[] = [
  {
    provide: SESSION_CONFIG,
    useFactory: (options: SessionModuleOptions, extras: SessionModuleExtras) =>
      resolveSessionConfig(options, extras),
    inject: [MODULE_OPTIONS_TOKEN, SESSION_EXTRAS],
  },
  {
    provide: SESSION_REDIS,
    useFactory: (config: ResolvedSessionConfig): SessionRedisHandle | null => {
      if (config.store.kind !== 'redis') return null;
      const { redis } = config.store;
      return redis.client
        ? { client: redis.client, owned: false }
        : { client: createSessionRedisClient(redis), owned: true };
    },
    inject: [SESSION_CONFIG],
  },
  {
    provide: SessionRepository,
    useFactory: (config: ResolvedSessionConfig, handle: SessionRedisHandle | null) =>
      config.store.kind === 'custom'
        ? config.store.repository
        : new RedisSessionRepository(handle!.client, { keyPrefix: config.store.redis.keyPrefix }),
    inject: [SESSION_CONFIG, SESSION_REDIS],
  },
];
