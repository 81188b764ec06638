import { Logger } from '@nestjs/common';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { ResolvedSessionConfig } from '../../config/resolved-config.js';

type RedisStore = Extract<ResolvedSessionConfig['store'], { kind: 'redis' }>['redis'];

/** Reconnect forever in the background, backing off up to 2 s between attempts. */
const retryStrategy = (attempt: number): number => Math.min(50 * 2 ** Math.min(attempt, 6), 2000);

/**
 * Creates the module's own client, tuned to fail fast: a command timeout, one retry at most, no
 * offline queue (a command while disconnected fails at once instead of waiting), auto-pipelining.
 * The app's own `options` win over these defaults. Never logs the URL (it may hold a password).
 */
export function createSessionRedisClient(store: RedisStore): Redis | Cluster {
  const logger = new Logger('SessionStore');
  const perConnection = {
    commandTimeout: store.commandTimeoutMs,
    connectTimeout: Math.max(store.commandTimeoutMs, 1000),
    maxRetriesPerRequest: 1,
  };
  let client: Redis | Cluster;
  if (store.cluster) {
    const options: ClusterOptions = {
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      clusterRetryStrategy: retryStrategy,
      ...store.cluster.options,
      redisOptions: { ...perConnection, ...store.cluster.options?.redisOptions },
    };
    client = new Cluster(store.cluster.nodes, options);
  } else {
    const defaults: RedisOptions = {
      ...perConnection,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      retryStrategy,
    };
    const options = { ...defaults, ...store.options };
    client = store.url ? new Redis(store.url, options) : new Redis(options);
  }
  let down = false;
  client.on('error', (error: Error) => {
    if (!down) logger.warn(`Session store unreachable (${error.message}); retrying in background`);
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.log('Session store reachable again');
    down = false;
  });
  return client;
}
