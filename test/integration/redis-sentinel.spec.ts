import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import request from 'supertest';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.js';
import { scanByPrefix, uniquePrefix } from '../support/redis.js';
import { cookieValue, createTestApp, testOptions } from '../support/session-app.js';

type HttpServer = Parameters<typeof request>[0];

/** The name the sentinel knows the master by. */
const MASTER_NAME = 'mymaster';

/**
 * Redis Sentinel is plain ioredis options (`sentinels` and `name`) given as `redis.options`: the
 * client asks the sentinel where the master is and connects there. One master and one sentinel,
 * both on free ports, are enough to show the module works through it.
 */
describe('SessionModule through Redis Sentinel (redis.options.sentinels)', () => {
  const keyPrefix = uniquePrefix('sentinel');
  let dir: string;
  let master: RedisServerHandle;
  let sentinel: RedisServerHandle;
  let direct: Redis;
  let app: INestApplication;
  let server: HttpServer;

  beforeAll(async () => {
    master = await startRedisServer();
    dir = mkdtempSync(join(tmpdir(), 'session-test-sentinel-'));
    // A sentinel rewrites its config file, so it gets one of its own in a temporary directory.
    const config = join(dir, 'sentinel.conf');
    writeFileSync(config, `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${master.port} 1\n`);
    sentinel = await startRedisServer({
      configFile: config,
      args: () => ['--sentinel', '--dir', dir],
    });
    direct = new Redis(master.url, { maxRetriesPerRequest: 1 });
    app = await createTestApp(
      testOptions({
        redis: {
          options: { sentinels: [{ host: '127.0.0.1', port: sentinel.port }], name: MASTER_NAME },
          keyPrefix,
        },
      }),
    );
    server = app.getHttpServer() as HttpServer;
  });

  afterAll(async () => {
    await app?.close();
    await direct?.quit();
    await sentinel?.stop();
    await master?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('logs in, checks, refreshes and logs out, with the sessions on the master the sentinel names', async () => {
    const asked = new Redis({ port: sentinel.port, maxRetriesPerRequest: 1 });
    const named = await asked.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME);
    asked.disconnect(); // a sentinel does not know QUIT
    expect(named).toEqual(['127.0.0.1', String(master.port)]);

    const login = await request(server).post('/login?user=sentinel-user');
    expect(login.status).toBe(201);
    const { accessToken, refreshToken } = login.body as {
      accessToken: string;
      refreshToken: string;
    };
    const bearer = `Bearer ${accessToken}`;
    expect((await request(server).get('/me').set('Authorization', bearer)).status).toBe(200);
    await expect(scanByPrefix(direct, keyPrefix)).resolves.toHaveLength(2); // session + index

    const refreshed = await request(server)
      .post('/auth/refresh')
      .set('Cookie', `refresh_token=${refreshToken}`);
    expect(refreshed.status).toBe(200);
    expect(cookieValue(refreshed.headers['set-cookie'], 'refresh_token')).toBeDefined();

    const out = await request(server).post('/auth/logout').set('Authorization', bearer);
    expect(out.status).toBe(204);
    expect((await request(server).get('/me').set('Authorization', bearer)).status).toBe(401);
    await expect(scanByPrefix(direct, keyPrefix)).resolves.toEqual([]);
  });
});
