import { Module, ServiceUnavailableException, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HealthCheckService } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import { SessionArgumentError, SessionModule } from 'nest-redis-sessions';
import {
  SESSION_STORE_DOWN_MESSAGE,
  SessionHealthIndicator,
  SessionHealthModule,
} from 'nest-redis-sessions/health';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.js';
import { uniquePrefix } from '../support/redis.js';
import { ACCESS_SECRET, REFRESH_SECRET, testOptions } from '../support/session-app.js';

const DOWN = { status: 'down', message: SESSION_STORE_DOWN_MESSAGE };

describe('SessionHealthIndicator', () => {
  let redisServer: RedisServerHandle;
  let app: INestApplication;
  let indicator: SessionHealthIndicator;
  let health: HealthCheckService;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    @Module({
      imports: [
        SessionModule.forRoot(
          testOptions({ redis: { url: redisServer.url, keyPrefix: uniquePrefix('health') } }),
        ),
        SessionHealthModule,
      ],
    })
    class HealthTestModule {}
    const moduleRef = await Test.createTestingModule({ imports: [HealthTestModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    indicator = app.get(SessionHealthIndicator);
    health = app.get(HealthCheckService);
  });
  afterAll(async () => {
    await app?.close();
    await redisServer?.stop();
  });

  it('reports up under the given key while Redis answers', async () => {
    await expect(indicator.isHealthy()).resolves.toEqual({ sessions: { status: 'up' } });
    await expect(indicator.isHealthy('store')).resolves.toEqual({ store: { status: 'up' } });
  });

  it('reports down when Redis answers later than the timeout', async () => {
    const admin = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
    try {
      await admin.call('CLIENT', 'PAUSE', '1000', 'ALL');
      await expect(indicator.isHealthy('sessions', { timeout: '50ms' })).resolves.toEqual({
        sessions: DOWN,
      });
    } finally {
      await admin.call('CLIENT', 'UNPAUSE');
      await admin.quit();
    }
    await expect(indicator.isHealthy()).resolves.toEqual({ sessions: { status: 'up' } });
  });

  it('refuses a timeout that is not a positive duration', async () => {
    for (const timeout of [0, -1, Number.NaN, Infinity, '', 'abc', '1 week', '-5s']) {
      await expect(indicator.isHealthy('sessions', { timeout })).rejects.toThrow(
        SessionArgumentError,
      );
    }
  });

  it('reports down, with no URL, host or secret, while Redis is down; up once it is back', async () => {
    await redisServer.kill();
    try {
      await expect(indicator.isHealthy()).resolves.toEqual({ sessions: DOWN });
      const failure = await health.check([() => indicator.isHealthy()]).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ServiceUnavailableException);
      const body = (failure as ServiceUnavailableException).getResponse();
      expect(body).toEqual({
        status: 'error',
        info: {},
        error: { sessions: DOWN },
        details: { sessions: DOWN },
      });
      const text = JSON.stringify(body);
      for (const secret of [redisServer.url, '127.0.0.1', ACCESS_SECRET, REFRESH_SECRET]) {
        expect(text).not.toContain(secret);
      }
    } finally {
      await redisServer.restart();
    }
    const deadline = Date.now() + 8000;
    let result = await indicator.isHealthy();
    while (result.sessions.status !== 'up' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      result = await indicator.isHealthy();
    }
    expect(result).toEqual({ sessions: { status: 'up' } });
  });
});
