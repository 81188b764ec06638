import { createRequire } from 'node:module';
import type * as ClusterLauncher from './redis-cluster.js';
import type * as Launcher from './redis-server.js';

/** What global setup started, kept until `global-teardown.ts` stops it. */
type RedisGlobal = typeof globalThis & {
  __sessionTestRedis?: Launcher.RedisServerHandle;
  __sessionTestCluster?: ClusterLauncher.RedisClusterHandle;
};

/**
 * Jest global setup: use `REDIS_URL` when it is set, otherwise start one throw-away
 * `redis-server` for the whole run and point `REDIS_URL` at it; likewise a three-master Redis
 * Cluster for `REDIS_CLUSTER_NODES` (comma-separated `host:port`). Tests run in band, in this
 * process, so they see both variables.
 */
export default async function globalSetup(): Promise<void> {
  const store = globalThis as RedisGlobal;
  const { startRedisServer } = load<typeof Launcher>('./redis-server.ts');
  const { startRedisCluster, formatClusterNodes } =
    load<typeof ClusterLauncher>('./redis-cluster.ts');
  const [server, cluster] = await Promise.all([
    process.env.REDIS_URL ? undefined : startRedisServer(),
    process.env.REDIS_CLUSTER_NODES ? undefined : startRedisCluster(startRedisServer),
  ]);
  if (server) {
    store.__sessionTestRedis = server;
    process.env.REDIS_URL = server.url;
  }
  if (cluster) {
    store.__sessionTestCluster = cluster;
    process.env.REDIS_CLUSTER_NODES = formatClusterNodes(cluster.nodes);
  }
}

/**
 * Jest loads global setup as CommonJS through its transform but without `moduleNameMapper`, so
 * an `import ... from './redis-server.js'` would look for a `.js` file that does not exist (in
 * this file or in any support file it loads: that is why `startRedisCluster` is given the server
 * launcher). Loading the `.ts` source by name goes through the same transform.
 */
function load<T>(file: string): T {
  return createRequire(__filename)(file) as T;
}
