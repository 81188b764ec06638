import request from 'supertest';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.js';
import {
  ACCESS_SECRET,
  ADAPTERS,
  e2eEnv,
  REFRESH_SECRET,
  startApp,
  waitFor,
  type TestApp,
} from '../support/e2e.js';

const RECOVERY_MS = 8000; // reconnect backoff is capped at 2 s

const UP = {
  status: 'ok',
  info: { sessions: { status: 'up' } },
  error: {},
  details: { sessions: { status: 'up' } },
};

describe.each(ADAPTERS)('GET /health of the sample app on %s', (adapter) => {
  let redisServer: RedisServerHandle;
  let t: TestApp;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    t = await startApp(
      e2eEnv('e2e-health', { REDIS_URL: redisServer.url, HTTP_ADAPTER: adapter }),
      false,
    );
  });
  afterAll(async () => {
    await t?.app.close();
    await redisServer?.stop();
  });

  it('answers 200 while Redis is up, 503 while it is down, and 200 again once it is back', async () => {
    const up = await request(t.server).get('/health');
    expect({ status: up.status, body: up.body as unknown }).toEqual({ status: 200, body: UP });

    await redisServer.kill();
    const down = await request(t.server).get('/health');
    // The app-wide SafeErrorFilter gives the 503 the one error body of the app.
    expect({ status: down.status, body: down.body as unknown }).toEqual({
      status: 503,
      body: { statusCode: 503, message: 'Service Unavailable' },
    });
    for (const secret of [
      redisServer.url,
      String(redisServer.port),
      ACCESS_SECRET,
      REFRESH_SECRET,
    ]) {
      expect(down.text).not.toContain(secret);
    }

    await redisServer.restart();
    const back = await waitFor(
      () => request(t.server).get('/health'),
      (res) => res.status === 200,
      { timeoutMs: RECOVERY_MS, what: 'the health check to recover' },
    );
    expect(back.body).toEqual(UP);
  });

  it('needs no token and ignores a forged one', async () => {
    const res = await request(t.server)
      .get('/health')
      .set('Authorization', 'Bearer not.a.token')
      .set('Cookie', 'access_token=x.y.z; refresh_token=%00');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(UP);
  });
});
