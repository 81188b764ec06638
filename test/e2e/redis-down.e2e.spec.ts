import request from 'supertest';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.js';
import {
  ADAPTERS,
  bearer,
  e2eEnv,
  expectError,
  login,
  me,
  MemoryLogger,
  PASSWORDS,
  refresh,
  startApp,
  waitFor,
  type HttpServer,
  type LoggedIn,
  type TestApp,
} from '../support/e2e.js';

describe.each(ADAPTERS)('on %s', (adapter) => {
  const FAST_MS = 3000; // the contract says "quickly" (1 s command timeout); 3 s keeps CI calm
  const RECOVERY_MS = 8000; // reconnect backoff is capped at 2 s

  function loginRequest(server: HttpServer, username: string): request.Test {
    return request(server).post('/auth/login').send({ username, password: PASSWORDS[username] });
  }

  /** Sends a request and asserts a quick 503 with the contract's body. */
  async function expectUnavailable(send: () => request.Test, tokens: string[] = []): Promise<void> {
    const started = Date.now();
    const res = await send();
    const took = Date.now() - started;
    expectError(res, 503, 'Session store unavailable', tokens);
    expect(took).toBeLessThan(FAST_MS);
  }

  describe('Redis goes down while the app runs', () => {
    let redisServer: RedisServerHandle;
    let t: TestApp;

    beforeAll(async () => {
      redisServer = await startRedisServer();
      t = await startApp(
        e2eEnv('e2e-redis-down', { HTTP_ADAPTER: adapter, REDIS_URL: redisServer.url }),
        false,
      );
    });
    afterAll(async () => {
      await t?.app.close();
      await redisServer?.stop();
    });

    it('fails closed with a quick 503, then serves again once Redis is back, without a restart', async () => {
      const session = await login(t.server, 'alice');
      const tokens = [session.accessToken, session.refreshToken];
      expect((await me(t.server, session.accessToken)).status).toBe(200);

      await redisServer.kill();

      for (let i = 0; i < 3; i += 1) {
        await expectUnavailable(() => me(t.server, session.accessToken), tokens);
      }
      await expectUnavailable(() => refresh(t.server, session.refreshToken), tokens);
      await expectUnavailable(() => loginRequest(t.server, 'bob'));
      await expectUnavailable(
        () =>
          request(t.server).get('/auth/sessions').set('Authorization', bearer(session.accessToken)),
        tokens,
      );
      await expectUnavailable(
        () =>
          request(t.server).post('/auth/logout').set('Authorization', bearer(session.accessToken)),
        tokens,
      );
      // A route without a guard does not need the store.
      expect((await request(t.server).get('/public')).status).toBe(200);

      // The new server is empty: the old session is gone, and says so with a 401.
      await redisServer.restart();
      const after = await waitFor(
        () => me(t.server, session.accessToken),
        (res) => res.status !== 503,
        { timeoutMs: RECOVERY_MS, what: 'the app to reconnect' },
      );
      expectError(after, 401, 'Unauthorized', tokens);
      expectError(await refresh(t.server, session.refreshToken), 401, 'Unauthorized', tokens);

      const fresh = await login(t.server, 'alice');
      const who = await me(t.server, fresh.accessToken);
      expect(who.status).toBe(200);
      expect(who.body).toEqual({ userId: 'alice', sessionId: fresh.sessionId, role: 'user' });
    });
  });

  describe('Redis is down when the app starts', () => {
    it('starts anyway, answers 503, and works once Redis is up', async () => {
      const redisServer = await startRedisServer();
      const env = e2eEnv('e2e-redis-late', { HTTP_ADAPTER: adapter, REDIS_URL: redisServer.url });
      let t: TestApp | undefined;
      try {
        // A session from before the outage, to present while Redis is down.
        const before = await startApp(env, false);
        let old: LoggedIn;
        try {
          old = await login(before.server, 'alice');
        } finally {
          await before.app.close();
        }
        await redisServer.kill();

        const logger = new MemoryLogger();
        const started = Date.now();
        t = await startApp(env, logger);
        expect(Date.now() - started).toBeLessThan(10_000);
        const { server } = t;
        // DESIGN.md: it "says so in its log".
        expect(
          logger.lines.filter((line) => /^(warn|error) .*(redis|session store)/i.test(line)),
        ).not.toEqual([]);

        await expectUnavailable(() => me(server, old.accessToken), [old.accessToken]);
        await expectUnavailable(() => loginRequest(server, 'alice'));

        await redisServer.restart();
        const res = await waitFor(
          () => loginRequest(server, 'alice'),
          (r) => r.status !== 503,
          { timeoutMs: RECOVERY_MS, what: 'the app to connect' },
        );
        expect(res.status).toBe(200);
        const fresh = res.body as { accessToken: string; sessionId: string };
        expect((await me(server, fresh.accessToken)).status).toBe(200);
        expectError(await me(server, old.accessToken), 401, 'Unauthorized', [old.accessToken]);
      } finally {
        await t?.app.close();
        await redisServer.stop();
      }
    });
  });
});
