import { ConsoleLogger, Logger, type LoggerService } from '@nestjs/common';
import { Redis, type Cluster } from 'ioredis';
import { RedisSessionRepository } from '../../src/store/redis/redis-session.repository.js';
import { encodeUserId, randomId } from '../../src/store/session-id.js';
import type { SessionChange } from '../../src/store/session-record.js';
import { hear } from '../support/channel.js';
import {
  createTestCluster,
  deleteByPrefixOnCluster,
  redisClusterNodes,
  scanByPrefix,
  uniquePrefix,
} from '../support/redis.js';
import {
  describeSessionRepository,
  freshUserId,
  sessionRecord,
} from './session-repository.contract.js';

const HOUR = 3_600_000;

/**
 * Errors each master has answered so far, by type (`INFO errorstats`), read over a connection
 * of its own. Redis counts CROSSSLOT apart; a script touching a key of another node is an ERR.
 */
async function errorStats(): Promise<Map<string, number>[]> {
  return Promise.all(
    redisClusterNodes().map(async (node) => {
      const admin = new Redis({ ...node, maxRetriesPerRequest: 1 });
      try {
        const info = await admin.info('errorstats');
        const stats = new Map<string, number>();
        for (const match of info.matchAll(/^errorstat_(\w+):count=(\d+)/gm)) {
          stats.set(match[1], Number(match[2]));
        }
        return stats;
      } finally {
        admin.disconnect();
      }
    }),
  );
}

/** Keeps the warnings and errors logged through Nest's `Logger`. */
class ProblemLog implements LoggerService {
  readonly lines: string[] = [];
  log(): void {}
  warn(message: unknown): void {
    this.lines.push(String(message));
  }
  error(message: unknown): void {
    this.lines.push(String(message));
  }
}

// Every failed store call is logged by the repository ("Session store call failed: <reason>")
// and turned into a 503: a CROSSSLOT or "non local key" error would show here.
const problems = new ProblemLog();
let errorsBefore: Map<string, number>[];
beforeAll(async () => {
  Logger.overrideLogger(problems);
  errorsBefore = await errorStats();
});
afterAll(() => {
  Logger.overrideLogger(new ConsoleLogger());
});

describeSessionRepository('RedisSessionRepository on a Redis Cluster', async () => {
  const cluster = createTestCluster();
  const keyPrefix = uniquePrefix('cluster-repo-contract');
  return {
    repo: new RedisSessionRepository(cluster, { keyPrefix }),
    async cleanup() {
      await deleteByPrefixOnCluster(cluster, keyPrefix);
      await cluster.quit();
    },
  };
});

describe('RedisSessionRepository on a Redis Cluster, users on every master', () => {
  let cluster: Cluster;
  let keyPrefix: string;
  let repo: RedisSessionRepository;
  /** One user id per master, in the masters' slot order. */
  let users: string[];

  /** The slot of a key, as the cluster computes it. */
  async function slotOf(key: string): Promise<number> {
    return Number(await cluster.cluster('KEYSLOT', key));
  }

  /** `host:port` of the master serving a slot, from the client's slot map. */
  function masterOf(slot: number): string {
    const [master] = cluster.slots[slot] ?? [];
    if (!master) throw new Error(`no master known for slot ${slot}`);
    return master;
  }

  function tagOf(userId: string): string {
    return `${keyPrefix}{${encodeUserId(userId)}}:`;
  }

  /** The connection to the master that serves the user's slot. */
  async function masterNodeOf(userId: string): Promise<Redis> {
    const slot = await slotOf(`${tagOf(userId)}index`);
    const master = cluster
      .nodes('master')
      .find((node) => `${node.options.host}:${node.options.port}` === masterOf(slot));
    if (!master) throw new Error(`no connection to the master of slot ${slot}`);
    return master;
  }

  /** Live: `readLive` answers something. */
  async function isLive(sessionId: string, now: number): Promise<boolean> {
    return (await repo.readLive(sessionId, now)) !== null;
  }

  beforeAll(async () => {
    cluster = createTestCluster();
    keyPrefix = uniquePrefix('cluster-repo-spread');
    repo = new RedisSessionRepository(cluster, { keyPrefix });
    await cluster.ping(); // the slot map is loaded once the client is ready
    const masters = redisClusterNodes().map(({ host, port }) => `${host}:${port}`);
    const byMaster = new Map<string, string>();
    for (let tries = 0; byMaster.size < masters.length && tries < 200; tries += 1) {
      const userId = freshUserId('spread');
      const master = masterOf(await slotOf(`${tagOf(userId)}index`));
      if (!byMaster.has(master)) byMaster.set(master, userId);
    }
    users = masters.map((master) => {
      const userId = byMaster.get(master);
      if (!userId) throw new Error(`found no user id whose slot is on ${master}`);
      return userId;
    });
  });

  afterEach(async () => {
    await deleteByPrefixOnCluster(cluster, keyPrefix);
  });

  afterAll(async () => {
    await cluster.quit();
  });

  it('puts the chosen users on different slots served by different masters', async () => {
    const slots = await Promise.all(users.map((userId) => slotOf(`${tagOf(userId)}index`)));
    expect(new Set(slots).size).toBe(users.length);
    expect(new Set(slots.map(masterOf)).size).toBe(3);
    expect(redisClusterNodes()).toHaveLength(3);
  });

  it('keeps every key of a user in the user’s slot, on the master that serves it', async () => {
    for (const userId of users) {
      const records = [sessionRecord({ userId }), sessionRecord({ userId })];
      for (const record of records) await repo.create(record, 0);
      const slot = await slotOf(`${tagOf(userId)}index`);
      const master = cluster
        .nodes('master')
        .find((node) => `${node.options.host}:${node.options.port}` === masterOf(slot));
      if (!master) throw new Error(`no connection to the master of slot ${slot}`);

      // SCAN on that master alone finds the session hashes and the index, and nothing else.
      const keys = (await scanByPrefix(master, tagOf(userId))).sort();
      const randoms = records.map((r) => r.sessionId.slice(r.sessionId.indexOf('.') + 1));
      expect(keys).toEqual(
        [...randoms.map((r) => tagOf(userId) + r), `${tagOf(userId)}index`].sort(),
      );
      for (const key of keys) await expect(slotOf(key)).resolves.toBe(slot);
    }
  });

  it('runs every script for users on each master: create with eviction, rotate, list, revoke, revokeAll', async () => {
    for (const userId of users) {
      const createdAt = Date.now();
      const first = sessionRecord({ userId, createdAt });
      const second = sessionRecord({ userId, createdAt: createdAt + 1 });
      const third = sessionRecord({ userId, createdAt: createdAt + 2 });
      await expect(repo.create(first, 2)).resolves.toEqual([]);
      await expect(repo.create(second, 2)).resolves.toEqual([]);
      // The eviction reads and deletes a session key the script builds from its arguments.
      await expect(repo.create(third, 2)).resolves.toEqual([first.sessionId]);

      const now = createdAt + 1000;
      const rotated = await repo.rotate({
        sessionId: second.sessionId,
        presentedJti: second.currentJti,
        nextJti: randomId(),
        now,
        graceMs: 10_000,
        idleMs: HOUR,
        userAgent: 'cluster',
        ip: '127.0.0.1',
      });
      expect(rotated.status).toBe('rotated');
      await expect(isLive(second.sessionId, now)).resolves.toBe(true);

      // The list reads every session hash named in the index.
      const listed = await repo.list(userId, now);
      expect(listed.map((r) => r.sessionId).sort()).toEqual(
        [second.sessionId, third.sessionId].sort(),
      );

      await expect(repo.revoke(third.sessionId)).resolves.toBe(true);
      await expect(isLive(third.sessionId, now)).resolves.toBe(false);

      const more = [sessionRecord({ userId }), sessionRecord({ userId })];
      for (const record of more) await repo.create(record, 0);
      // revokeAll deletes session keys built from the index's members.
      await expect(repo.revokeAll(userId, more[0].sessionId)).resolves.toHaveLength(2);
      await expect(repo.list(userId, now).then((l) => l.map((r) => r.sessionId))).resolves.toEqual([
        more[0].sessionId,
      ]);
      await expect(repo.revokeAll(userId)).resolves.toEqual([more[0].sessionId]);
      await expect(repo.list(userId, now)).resolves.toEqual([]);
      await expect(isLive(second.sessionId, now)).resolves.toBe(false);
    }
  });

  it('answers ping, whichever master the client asks', async () => {
    await expect(repo.ping()).resolves.toBeUndefined();
  });

  it('announces a write to subscribers on every master (the cluster bus carries a script’s PUBLISH)', async () => {
    // A prefix (so a channel) of this test's own: the bus may still be carrying earlier tests'.
    const ownPrefix = uniquePrefix('cluster-announce');
    const announcing = new RedisSessionRepository(cluster, { keyPrefix: ownPrefix });
    const listeners = await Promise.all(
      redisClusterNodes().map((node) => hear(new Redis(node), `${ownPrefix}revocations`)),
    );
    try {
      for (const userId of users) {
        const record = sessionRecord({ userId });
        await announcing.create(record, 0);
        await expect(announcing.revoke(record.sessionId)).resolves.toBe(true);
        await expect(announcing.revokeAll(userId)).resolves.toEqual([]);
        // Every master, the one that ran the script and the two others, hears it once.
        const owner = await masterNodeOf(userId);
        for (const listener of listeners) {
          await expect(listener.drain(owner)).resolves.toEqual([`s:${record.sessionId}`]);
        }
      }
    } finally {
      for (const listener of listeners) listener.stop();
      await deleteByPrefixOnCluster(cluster, ownPrefix);
    }
  });

  it('tells a change feed (a Cluster of its own) of changes to users on every master', async () => {
    const changes: SessionChange[] = [];
    const connected: boolean[] = [];
    const ownPrefix = uniquePrefix('cluster-feed');
    const repo = new RedisSessionRepository(cluster, { keyPrefix: ownPrefix });
    const stop = await repo.changeFeed().subscribe({
      changed: (change) => changes.push(change),
      connected: (up) => connected.push(up),
    });
    try {
      expect(connected).toEqual([true]);
      const records = users.map((userId) => sessionRecord({ userId }));
      for (const record of records) {
        await repo.create(record, 0);
        await repo.revoke(record.sessionId);
      }
      await repo.updateClaims({ userId: users[0] }, { role: 'x' }, Date.now()); // nothing live
      await repo.create(records[0], 0);
      await repo.revokeAll(users[0]);
      const deadline = Date.now() + 3000;
      while (changes.length < records.length + 1 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10)); // polling interval, not a wait
      }
      // Each master's announcements reach the subscriber over a link of their own: in any order.
      const order = (list: SessionChange[]) => list.map((c) => JSON.stringify(c)).sort();
      expect(order(changes)).toEqual(
        order([
          ...records.map((record) => ({ sessionId: record.sessionId })),
          { userId: users[0] },
        ]),
      );
    } finally {
      await stop();
      await deleteByPrefixOnCluster(cluster, ownPrefix);
    }
    expect(connected).toEqual([true, false]);
  });
});

describe('Redis Cluster errors over this file', () => {
  it('had no CROSSSLOT or failed store call anywhere', async () => {
    const after = await errorStats();
    after.forEach((stats, i) => {
      const before = errorsBefore[i]?.get('CROSSSLOT') ?? 0;
      expect({ node: i, crossSlot: (stats.get('CROSSSLOT') ?? 0) - before }).toEqual({
        node: i,
        crossSlot: 0,
      });
    });
    expect(problems.lines).toEqual([]);
  });
});
