import type { RedisClusterHandle } from './redis-cluster.js';
import type { RedisServerHandle } from './redis-server.js';

type RedisGlobal = typeof globalThis & {
  __sessionTestRedis?: RedisServerHandle;
  __sessionTestCluster?: RedisClusterHandle;
};

/** Jest global teardown: stops the `redis-server` and the cluster that global setup started, if any. */
export default async function globalTeardown(): Promise<void> {
  const store = globalThis as RedisGlobal;
  const server = store.__sessionTestRedis;
  const cluster = store.__sessionTestCluster;
  store.__sessionTestRedis = undefined;
  store.__sessionTestCluster = undefined;
  if (server) delete process.env.REDIS_URL;
  if (cluster) delete process.env.REDIS_CLUSTER_NODES;
  await Promise.all([server?.stop(), cluster?.stop()]);
}
