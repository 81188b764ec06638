import type { INestApplication } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import request from 'supertest';
import type { SessionRedisOptions } from 'nest-redis-sessions';
import {
  createTestClient,
  createTestCluster,
  deleteByPrefix,
  deleteByPrefixOnCluster,
  redisClusterNodes,
  redisUrl,
  uniquePrefix,
} from '../support/redis.js';
import { cookieValue, createTestApp, testOptions } from '../support/session-app.js';

type HttpServer = Parameters<typeof request>[0];

/** How long a rotated refresh token is still answered; short, so that the test can outwait it. */
const GRACE_MS = 500;

interface Store {
  name: string;
  /** Where both instances keep their sessions (the same place, the same prefix). */
  redis(keyPrefix: string): SessionRedisOptions;
  /** A client of the same store, to delete the test's keys afterwards. */
  admin(): { deleteByPrefix(prefix: string): Promise<unknown>; quit(): Promise<unknown> };
}

const STORES: Store[] = [
  {
    name: 'one Redis',
    redis: (keyPrefix) => ({ url: redisUrl(), keyPrefix }),
    admin() {
      const client: Redis = createTestClient();
      return { deleteByPrefix: (p) => deleteByPrefix(client, p), quit: () => client.quit() };
    },
  },
  {
    name: 'a Redis Cluster',
    redis: (keyPrefix) => ({ cluster: { nodes: redisClusterNodes() }, keyPrefix }),
    admin() {
      const client: Cluster = createTestCluster();
      return {
        deleteByPrefix: (p) => deleteByPrefixOnCluster(client, p),
        quit: () => client.quit(),
      };
    },
  },
];

interface Login {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

describe.each(STORES)('two app instances on $name', (store) => {
  const keyPrefix = uniquePrefix('many-instances');
  let admin: ReturnType<Store['admin']>;
  let apps: INestApplication[];
  /** The two instances' HTTP servers: same store, same prefix, same secrets, nothing else shared. */
  let a: HttpServer;
  let b: HttpServer;

  beforeAll(async () => {
    admin = store.admin();
    const options = testOptions({
      redis: store.redis(keyPrefix),
      refreshToken: { secret: testOptions().refreshToken.secret, reuseGrace: GRACE_MS },
    });
    apps = await Promise.all([createTestApp(options), createTestApp(options)]);
    [a, b] = apps.map((app) => app.getHttpServer() as HttpServer);
  });
  afterEach(async () => {
    await admin.deleteByPrefix(keyPrefix);
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await admin.quit();
  });

  async function login(server: HttpServer, user: string): Promise<Login> {
    const res = await request(server).post(`/login?user=${encodeURIComponent(user)}`);
    expect(res.status).toBe(201);
    return res.body as Login;
  }

  function me(server: HttpServer, accessToken: string): request.Test {
    return request(server).get('/me').set('Authorization', `Bearer ${accessToken}`);
  }

  function refresh(server: HttpServer, refreshToken: string): request.Test {
    return request(server).post('/auth/refresh').set('Cookie', `refresh_token=${refreshToken}`);
  }

  it('serves on one instance a session opened on the other, and lists it there', async () => {
    const session = await login(a, 'many-alice');
    const who = await me(b, session.accessToken);
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ userId: 'many-alice', sessionId: session.sessionId });
    const listed = await request(b)
      .get('/auth/sessions')
      .set('Authorization', `Bearer ${session.accessToken}`);
    expect(listed.status).toBe(200);
    expect((listed.body as { sessions: { id: string }[] }).sessions.map((s) => s.id)).toEqual([
      session.sessionId,
    ]);
    expect((await refresh(b, session.refreshToken)).status).toBe(200);
  });

  it('refuses on one instance a session logged out on the other, at the next request', async () => {
    const session = await login(a, 'many-bob');
    expect((await me(b, session.accessToken)).status).toBe(200);

    const out = await request(a)
      .post('/auth/logout')
      .set('Authorization', `Bearer ${session.accessToken}`);
    expect(out.status).toBe(204);

    expect((await me(b, session.accessToken)).status).toBe(401);
    expect((await refresh(b, session.refreshToken)).status).toBe(401);
  });

  it('refuses on one instance a session revoked by id on the other', async () => {
    const laptop = await login(a, 'many-carol');
    const phone = await login(b, 'many-carol');
    expect((await me(b, phone.accessToken)).status).toBe(200);

    const revoked = await request(a)
      .delete(`/auth/sessions/${phone.sessionId}`)
      .set('Authorization', `Bearer ${laptop.accessToken}`);
    expect(revoked.status).toBe(204);

    expect((await me(b, phone.accessToken)).status).toBe(401);
    expect((await refresh(b, phone.refreshToken)).status).toBe(401);
    expect((await me(b, laptop.accessToken)).status).toBe(200);
  });

  it('answers a rotated token replayed on the other instance within the grace window, and revokes the session after it', async () => {
    const session = await login(a, 'many-dave');
    const rotated = await refresh(a, session.refreshToken);
    expect(rotated.status).toBe(200);
    const current = cookieValue(rotated.headers['set-cookie'], 'refresh_token') ?? '';
    const access = (rotated.body as { accessToken: string }).accessToken;

    const inGrace = await refresh(b, session.refreshToken);
    expect(inGrace.status).toBe(200);
    expect((inGrace.body as { sessionId: string }).sessionId).toBe(session.sessionId);

    await new Promise((resolve) => setTimeout(resolve, GRACE_MS + 100)); // outwait the grace window

    expect((await refresh(b, session.refreshToken)).status).toBe(401); // reuse: the session dies
    expect((await me(a, access)).status).toBe(401);
    expect((await refresh(a, current)).status).toBe(401);
  });

  it('refuses on one instance every session ended by logout-all on the other', async () => {
    const sessions = [
      await login(a, 'many-erin'),
      await login(b, 'many-erin'),
      await login(a, 'many-erin'),
    ];
    const bystander = await login(a, 'many-frank');

    const out = await request(b)
      .post('/auth/logout-all')
      .set('Authorization', `Bearer ${sessions[1].accessToken}`);
    expect(out.status).toBe(204);

    for (const session of sessions) {
      expect((await me(a, session.accessToken)).status).toBe(401);
      expect((await refresh(a, session.refreshToken)).status).toBe(401);
    }
    expect((await me(a, bystander.accessToken)).status).toBe(200);
  });
});
