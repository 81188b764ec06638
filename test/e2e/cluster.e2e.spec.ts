import { Cluster } from 'ioredis';
import request from 'supertest';
import { encodeUserId } from '../../src/store/session-id.js';
import { startRedisCluster, formatClusterNodes } from '../support/redis-cluster.js';
import { startRedisServer } from '../support/redis-server.js';
import {
  createTestCluster,
  deleteByPrefixOnCluster,
  redisClusterNodes,
  scanByPrefix,
} from '../support/redis.js';
import {
  ADAPTERS,
  bearer,
  e2eEnv,
  expectError,
  login,
  me,
  MemoryLogger,
  refresh,
  setCookie,
  sleep,
  startApp,
  useApp,
  waitFor,
  type HttpServer,
  type KeyStore,
  type LoggedIn,
} from '../support/e2e.js';

/** The demo users: with three masters and the usual even split, each lives on its own master. */
const USERS = ['alice', 'bob', 'admin'] as const;

/** The sample app's environment on the test cluster (`e2eEnv` points at the single Redis). */
function clusterEnv(
  name: string,
  overrides: Record<string, string> = {},
): ReturnType<typeof e2eEnv> {
  const { REDIS_URL: _single, ...env } = e2eEnv(name);
  return { ...env, REDIS_CLUSTER_NODES: process.env.REDIS_CLUSTER_NODES ?? '', ...overrides };
}

function sessionIds(server: HttpServer, accessToken: string): Promise<string[]> {
  return request(server)
    .get('/auth/sessions')
    .set('Authorization', bearer(accessToken))
    .then((res) => {
      expect(res.status).toBe(200);
      return (res.body as { sessions: { id: string }[] }).sessions.map((s) => s.id);
    });
}

/** `host:port` of the master that serves a user's keys under `prefix`. */
async function masterOfUser(cluster: Cluster, prefix: string, userId: string): Promise<string> {
  const slot = Number(await cluster.cluster('KEYSLOT', `${prefix}{${encodeUserId(userId)}}:index`));
  const [master] = cluster.slots[slot] ?? [];
  if (!master) throw new Error(`no master known for slot ${slot}`);
  return master;
}

describe.each(ADAPTERS)('on %s', (adapter) => {
  let cluster: Cluster;
  beforeAll(async () => {
    redisClusterNodes(); // fails with a clear message when the global setup did not run
    cluster = createTestCluster();
    await cluster.ping();
  });
  afterAll(async () => {
    await cluster.quit();
  });

  /** The keys of the apps below, on every master of the test cluster. */
  const onCluster: KeyStore = {
    deleteByPrefix: (prefix) => deleteByPrefixOnCluster(cluster, prefix),
  };

  describe('sample app on Redis Cluster (REDIS_CLUSTER_NODES)', () => {
    const env = clusterEnv('e2e-cluster', { HTTP_ADAPTER: adapter });
    const logger = new MemoryLogger();
    const t = useApp(env, onCluster, { cleanEach: true, logger });

    it('says in its log that sessions are in Redis Cluster, naming the seeds only', () => {
      const log = logger.lines.join('\n');
      expect(log).toContain(
        `Sessions are stored in Redis Cluster (seed nodes ${formatClusterNodes(redisClusterNodes()).replaceAll(',', ', ')})`,
      );
      expect(log).not.toMatch(/in memory|Session store unreachable/);
    });

    it('keeps each demo user on a master of its own, where its keys are', async () => {
      const masters = await Promise.all(
        USERS.map((user) => masterOfUser(cluster, env.REDIS_KEY_PREFIX, user)),
      );
      expect(new Set(masters).size).toBe(USERS.length);

      for (const [i, user] of USERS.entries()) {
        await login(t.server, user);
        const node = cluster
          .nodes('master')
          .find((n) => `${n.options.host}:${n.options.port}` === masters[i]);
        if (!node) throw new Error(`no connection to ${masters[i]}`);
        const keys = await scanByPrefix(node, `${env.REDIS_KEY_PREFIX}{${encodeUserId(user)}}:`);
        expect(keys).toHaveLength(2); // the session and the user's index
      }
    });

    it.each(USERS)(
      'logs %s in, answers /me, refreshes, lists, revokes by id and logs out',
      async (user) => {
        const laptop = await login(t.server, user, 'laptop');
        const phone = await login(t.server, user, 'phone');

        const who = await me(t.server, laptop.accessToken);
        expect(who.status).toBe(200);
        expect(who.body).toMatchObject({ userId: user, sessionId: laptop.sessionId });

        const refreshed = await refresh(t.server, laptop.refreshToken);
        expect(refreshed.status).toBe(200);
        expect((refreshed.body as { sessionId: string }).sessionId).toBe(laptop.sessionId);
        const access = (refreshed.body as { accessToken: string }).accessToken;
        expect((await me(t.server, access)).status).toBe(200);

        await expect(sessionIds(t.server, access)).resolves.toEqual([
          phone.sessionId,
          laptop.sessionId,
        ]);

        const revoked = await request(t.server)
          .delete(`/auth/sessions/${phone.sessionId}`)
          .set('Authorization', bearer(access));
        expect(revoked.status).toBe(204);
        expectError(await me(t.server, phone.accessToken), 401, 'Unauthorized');
        expectError(await refresh(t.server, phone.refreshToken), 401, 'Unauthorized');

        const out = await request(t.server)
          .post('/auth/logout')
          .set('Authorization', bearer(access));
        expect(out.status).toBe(204);
        expectError(await me(t.server, access), 401, 'Unauthorized');
        const rotated = setCookie(refreshed, 'refresh_token').value;
        expectError(await refresh(t.server, rotated), 401, 'Unauthorized');
      },
    );

    it('ends every session of one user with logout-all, on its master only', async () => {
      const sessions = new Map<string, LoggedIn[]>();
      for (const user of USERS) {
        sessions.set(user, [await login(t.server, user), await login(t.server, user)]);
      }
      const [first, second] = sessions.get('bob') ?? [];
      const out = await request(t.server)
        .post('/auth/logout-all')
        .set('Authorization', bearer(first.accessToken));
      expect(out.status).toBe(204);

      for (const session of [first, second]) {
        expectError(await me(t.server, session.accessToken), 401, 'Unauthorized');
        expectError(await refresh(t.server, session.refreshToken), 401, 'Unauthorized');
      }
      for (const user of ['alice', 'admin']) {
        for (const session of sessions.get(user) ?? []) {
          expect((await me(t.server, session.accessToken)).status).toBe(200);
        }
      }
    });
  });

  describe('sample app on Redis Cluster: refresh reuse after the grace window', () => {
    const t = useApp(
      clusterEnv('e2e-cluster-reuse', { HTTP_ADAPTER: adapter, REUSE_GRACE: '1s' }),
      onCluster,
    );

    it('answers a replay inside the grace window, and revokes the session on one after it, for users on every master', async () => {
      const rotations = await Promise.all(
        USERS.map(async (user) => {
          const session = await login(t.server, user);
          const res = await refresh(t.server, session.refreshToken);
          expect(res.status).toBe(200);
          const inGrace = await refresh(t.server, session.refreshToken);
          expect(inGrace.status).toBe(200);
          expect((inGrace.body as { sessionId: string }).sessionId).toBe(session.sessionId);
          return {
            old: session.refreshToken,
            current: setCookie(res, 'refresh_token').value,
            access: (res.body as { accessToken: string }).accessToken,
          };
        }),
      );

      await sleep(1100); // past REUSE_GRACE for every session at once

      for (const { old, current, access } of rotations) {
        expectError(await refresh(t.server, old), 401, 'Unauthorized');
        expectError(await refresh(t.server, current), 401, 'Unauthorized');
        expectError(await me(t.server, access), 401, 'Unauthorized');
      }
    });
  });

  describe('sample app on Redis Cluster with MAX_SESSIONS_PER_USER=2', () => {
    const t = useApp(
      clusterEnv('e2e-cluster-max', { HTTP_ADAPTER: adapter, MAX_SESSIONS_PER_USER: '2' }),
      onCluster,
    );

    it.each(USERS)('ends the oldest session of %s on the third login', async (user) => {
      const oldest = await login(t.server, user, 'one');
      const middle = await login(t.server, user, 'two');
      const newest = await login(t.server, user, 'three');

      expectError(await me(t.server, oldest.accessToken), 401, 'Unauthorized');
      expectError(await refresh(t.server, oldest.refreshToken), 401, 'Unauthorized');
      expect((await me(t.server, middle.accessToken)).status).toBe(200);
      await expect(sessionIds(t.server, newest.accessToken)).resolves.toEqual([
        newest.sessionId,
        middle.sessionId,
      ]);
    });
  });

  describe('sample app on a Redis Cluster that loses a master', () => {
    it('answers 503 for the users of the dead master only, and serves them again once it is back', async () => {
      const own = await startRedisCluster(startRedisServer);
      const env = clusterEnv('e2e-cluster-node-down', {
        HTTP_ADAPTER: adapter,
        REDIS_CLUSTER_NODES: formatClusterNodes(own.nodes),
      });
      const t = await startApp(env, false);
      try {
        const probe = new Cluster(own.nodes);
        const master = await masterOfUser(probe, env.REDIS_KEY_PREFIX, 'alice');
        await probe.quit();
        const victim = own.servers[own.nodes.findIndex((n) => `${n.host}:${n.port}` === master)];

        const [alice, ...others] = await Promise.all(USERS.map((user) => login(t.server, user)));
        await victim.kill();

        const started = Date.now();
        expectError(await me(t.server, alice.accessToken), 503, 'Session store unavailable');
        expectError(await refresh(t.server, alice.refreshToken), 503, 'Session store unavailable');
        expect(Date.now() - started).toBeLessThan(5000);
        for (const session of others) {
          expect((await me(t.server, session.accessToken)).status).toBe(200);
        }

        // Back without its data (nothing is persisted) but with its slots (its cluster config file):
        // alice's old token is refused, and she can log in again.
        await victim.restart();
        await waitFor(
          () => me(t.server, alice.accessToken),
          (res) => res.status !== 503,
          { timeoutMs: 10_000, what: 'the restarted master to serve again' },
        ).then((res) => expectError(res, 401, 'Unauthorized'));
        const again = await login(t.server, 'alice');
        expect((await me(t.server, again.accessToken)).status).toBe(200);
      } finally {
        await t.app.close();
        await own.stop();
      }
    });
  });
});
