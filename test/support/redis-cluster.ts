import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
// Type-only: global setup loads this file without jest's module mapping (see global-setup.ts), so
// the launcher of one server is passed in rather than imported.
import type { RedisServerHandle, startRedisServer } from './redis-server.js';

/** A host and port of a cluster node, as ioredis's `Cluster` takes it. */
export interface ClusterNodeAddress {
  host: string;
  port: number;
}

/** A local Redis Cluster started by the tests: three masters, no replicas, nothing kept. */
export interface RedisClusterHandle {
  /** The three masters, in slot order (the first serves slots 0-5460). */
  readonly nodes: ClusterNodeAddress[];
  /** The masters' processes, in the same order (to kill or restart one). */
  readonly servers: RedisServerHandle[];
  /** Stops every node and removes the temporary directory of their cluster config files. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const MASTERS = 3;
const SLOTS = 16384;
const READY_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 50;

/**
 * Starts three `redis-server --cluster-enabled yes` masters on free ports with `startServer`
 * (`startRedisServer` of `./redis-server.js`: free port, PING readiness, no disk), splits the 16384
 * slots between them (CLUSTER ADDSLOTSRANGE, then CLUSTER MEET) and resolves once every node
 * reports `cluster_state:ok`. (A fresh master waits 2 s before it says ok, so this takes about
 * 2 s whatever we do; `redis-cli --cluster create` would add its own one-second polls.)
 */
export async function startRedisCluster(
  startServer: typeof startRedisServer,
): Promise<RedisClusterHandle> {
  const dir = mkdtempSync(join(tmpdir(), 'session-test-cluster-'));
  const started = await Promise.allSettled(
    Array.from({ length: MASTERS }, () =>
      startServer({
        args: (port) => [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(dir, `nodes-${port}.conf`),
          '--dir',
          dir,
        ],
      }),
    ),
  );
  const servers = started.flatMap((result) =>
    result.status === 'fulfilled' ? [result.value] : [],
  );
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }

  const nodes = servers.map((server) => ({ host: HOST, port: server.port }));
  const admins = nodes.map(
    ({ host, port }) => new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0 }),
  );
  try {
    await Promise.all(
      admins.map(async (admin, i) => {
        const first = Math.floor((SLOTS * i) / MASTERS);
        const last = Math.floor((SLOTS * (i + 1)) / MASTERS) - 1;
        await admin.call('CLUSTER', 'ADDSLOTSRANGE', first, last);
        // Distinct epochs up front, as redis-cli does: no collision to resolve by gossip.
        await admin.call('CLUSTER', 'SET-CONFIG-EPOCH', i + 1);
      }),
    );
    for (const { host, port } of nodes.slice(1)) {
      await admins[0].call('CLUSTER', 'MEET', host, port);
    }
    await waitUntilOk(admins);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    for (const admin of admins) admin.disconnect();
  }
  return { nodes, servers, stop };
}

/** `host:port,host:port,...`, the form of `REDIS_CLUSTER_NODES`. */
export function formatClusterNodes(nodes: ClusterNodeAddress[]): string {
  return nodes.map(({ host, port }) => `${host}:${port}`).join(',');
}

/** Parses `REDIS_CLUSTER_NODES`-style `host:port` seeds (IPv4 or a name; the port is last). */
export function parseClusterNodes(text: string): ClusterNodeAddress[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const at = entry.lastIndexOf(':');
      const port = Number(entry.slice(at + 1));
      if (at <= 0 || !Number.isInteger(port)) throw new Error(`not a host:port seed: ${entry}`);
      return { host: entry.slice(0, at), port };
    });
}

/** Polls CLUSTER INFO on every node until each one reports `cluster_state:ok`. */
async function waitUntilOk(admins: Redis[]): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const infos = await Promise.all(admins.map((admin) => admin.call('CLUSTER', 'INFO')));
    const states = infos.map((info) => /cluster_state:(\w+)/.exec(String(info))?.[1] ?? '?');
    if (states.every((state) => state === 'ok')) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `the test cluster was not ready within ${READY_TIMEOUT_MS} ms (states: ${states.join(', ')})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS)); // polling interval
  }
}
