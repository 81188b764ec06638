import type { RedisServerHandle } from './redis-server.js';

type RedisGlobal = typeof globalThis & { __sessionTestRedis?: RedisServerHandle };

/** Jest global teardown: stops the `redis-server` that global setup started, if it started one. */
export default async function globalTeardown(): Promise<void> {
  const redis = globalThis as RedisGlobal;
  const server = redis.__sessionTestRedis;
  if (!server) return;
  redis.__sessionTestRedis = undefined;
  delete process.env.REDIS_URL;
  await server.stop();
}
