import { randomBytes } from 'node:crypto';
import { Cluster, Redis, type ClusterOptions } from 'ioredis';
import { parseClusterNodes, type ClusterNodeAddress } from './redis-cluster.js';

/** The Redis the tests use: `REDIS_URL`, set by the caller or by `global-setup.ts`. */
export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) {
    throw new Error(
      'REDIS_URL is not set: run the tests through jest (its global setup starts a redis-server) ' +
        'or set REDIS_URL to a Redis the tests may use.',
    );
  }
  return url;
}

/**
 * A key prefix unique to one test file and run, `test:<name>:<random>:`, so that files never
 * see each other's keys and a shared Redis is never flushed.
 */
export function uniquePrefix(name: string): string {
  return `test:${name}:${randomBytes(6).toString('hex')}:`;
}

/** A new ioredis client for `redisUrl()`; the caller quits it. */
export function createTestClient(): Redis {
  return new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
}

/** Escapes the glob characters of a Redis `MATCH` pattern, so that the text matches itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Every key starting with `prefix`, found with SCAN (never KEYS). */
export async function scanByPrefix(client: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(
      cursor,
      'MATCH',
      `${escapeGlob(prefix)}*`,
      'COUNT',
      1000,
    );
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return [...new Set(found)]; // SCAN may return a key more than once
}

/** Deletes every key starting with `prefix` with SCAN + DEL (never KEYS, never FLUSHALL). */
export async function deleteByPrefix(client: Redis, prefix: string): Promise<number> {
  const keys = await scanByPrefix(client, prefix);
  let deleted = 0;
  for (let i = 0; i < keys.length; i += 500) {
    deleted += await client.del(...keys.slice(i, i + 500));
  }
  return deleted;
}

/** Calls of one Redis command so far, server-wide (INFO commandstats). */
export async function commandCalls(client: Redis, command: string): Promise<number> {
  const info = await client.info('commandstats');
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

/** The test cluster's seed nodes: `REDIS_CLUSTER_NODES`, set by the caller or by `global-setup.ts`. */
export function redisClusterNodes(): ClusterNodeAddress[] {
  const nodes = process.env.REDIS_CLUSTER_NODES;
  if (!nodes) {
    throw new Error(
      'REDIS_CLUSTER_NODES is not set: run the tests through jest (its global setup starts a ' +
        'three-master cluster) or set it to host:port seeds of a Redis Cluster the tests may use.',
    );
  }
  return parseClusterNodes(nodes);
}

/** A new ioredis `Cluster` client for `redisClusterNodes()`; the caller quits it. */
export function createTestCluster(options: ClusterOptions = {}): Cluster {
  return new Cluster(redisClusterNodes(), {
    ...options,
    redisOptions: { maxRetriesPerRequest: 1, ...options.redisOptions },
  });
}

/**
 * Deletes every key starting with `prefix` on every master of `cluster`: SCAN on each (a SCAN
 * through the cluster client would see one node only), then DEL key by key (one DEL of keys from
 * several slots is a CROSSSLOT error).
 */
export async function deleteByPrefixOnCluster(cluster: Cluster, prefix: string): Promise<number> {
  let deleted = 0;
  for (const node of cluster.nodes('master')) {
    const keys = await scanByPrefix(node, prefix);
    const replies = await Promise.all(keys.map((key) => node.del(key)));
    deleted += replies.reduce((sum, n) => sum + n, 0);
  }
  return deleted;
}
