import type { Provider } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { SESSION_CONFIG } from '../config/config.tokens.js';
import type { ResolvedSessionConfig } from '../config/resolved-config.js';
import { SessionConfigError } from '../session.exceptions.js';
import { LiveSessionCache } from './live-session-cache.js';
import { createSessionRedisClient } from './redis/redis-client.factory.js';
import { RedisSessionRepository } from './redis/redis-session.repository.js';
import { SessionRepository } from './session.repository.js';

/** Injection token of the module's Redis client (`SessionRedisHandle`, or `null` without Redis). */
export const SESSION_REDIS = Symbol('nest-redis-sessions:redis');

/** The module's Redis client and whether the module created it (and so must close it). */
export interface SessionRedisHandle {
  client: Redis | Cluster;
  owned: boolean;
}

/**
 * The store: the Redis client (the app's own, or one the module creates from the options) and the
 * `SessionRepository` (the app's own, or Redis), wrapped in the live-session cache when
 * `revocation.cacheMs` > 0. `SessionStoreLifecycle` starts and stops them.
 */
export const storeProviders: Provider[] = [
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
    useFactory: sessionRepository,
    inject: [SESSION_CONFIG, SESSION_REDIS],
  },
];

function sessionRepository(
  config: ResolvedSessionConfig,
  handle: SessionRedisHandle | null,
): SessionRepository {
  const base = baseRepository(config, handle);
  const { cacheMs, maxEntries } = config.revocation;
  if (cacheMs <= 0) return base;
  if (base.changeFeed() === null) {
    throw new SessionConfigError(
      'revocation.cacheMs',
      'needs a store that announces changes (the Redis store)',
    );
  }
  return new LiveSessionCache(base, { cacheMs, maxEntries });
}

function baseRepository(
  config: ResolvedSessionConfig,
  handle: SessionRedisHandle | null,
): SessionRepository {
  if (config.store.kind === 'custom') return config.store.repository;
  if (!handle) throw new Error('SessionModule: the Redis store has no client');
  return new RedisSessionRepository(handle.client, {
    keyPrefix: config.store.redis.keyPrefix,
    // The module's own client has this timeout; an app's own client is read for its own.
    commandTimeoutMs: handle.owned ? config.store.redis.commandTimeoutMs : undefined,
  });
}
