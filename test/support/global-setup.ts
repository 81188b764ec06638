import { createRequire } from 'node:module';
import type * as Launcher from './redis-server.js';

/** Where the Redis started for this run is kept until `global-teardown.ts` stops it. */
type RedisGlobal = typeof globalThis & { __sessionTestRedis?: Launcher.RedisServerHandle };

/**
 * Jest global setup: use `REDIS_URL` when it is set, otherwise start one throw-away
 * `redis-server` for the whole run and point `REDIS_URL` at it (tests run in band, in this
 * process, so they see it).
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.REDIS_URL) return;
  const server = await loadLauncher().startRedisServer();
  (globalThis as RedisGlobal).__sessionTestRedis = server;
  process.env.REDIS_URL = server.url;
}

/**
 * Jest loads global setup as CommonJS through its transform but without `moduleNameMapper`, so
 * an `import ... from './redis-server.js'` would look for a `.js` file that does not exist.
 * Loading the `.ts` source by name goes through the same transform.
 */
function loadLauncher(): typeof Launcher {
  return createRequire(__filename)('./redis-server.ts') as typeof Launcher;
}
