import type { INestApplication } from '@nestjs/common';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { SessionRepository, SessionService } from 'nest-redis-sessions';
import { LiveSessionCache } from '../../src/store/live-session-cache.js';
import { parseSessionId } from '../../src/store/session-id.js';
import {
  commandCalls,
  createTestClient,
  deleteByPrefix,
  redisUrl,
  uniquePrefix,
} from '../support/redis.js';
import { createTestApp, testOptions } from '../support/session-app.js';

/** The app's live-session cache (its `SessionRepository` when revocation.cacheMs > 0). */
function cacheOf(app: INestApplication): LiveSessionCache {
  const repository = app.get(SessionRepository);
  if (!(repository instanceof LiveSessionCache))
    throw new Error('the app has no live-session cache');
  return repository;
}

async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return Date.now() - start;
}

describe('the revocation cache (revocation.cacheMs)', () => {
  const prefix = uniquePrefix('revocation');
  let redis: Redis;
  let a: INestApplication;
  let b: INestApplication;
  let strict: INestApplication;

  const options = (cacheMs: number) =>
    testOptions({ redis: { url: redisUrl(), keyPrefix: prefix }, revocation: { cacheMs } });
  const me = (app: INestApplication, token: string) =>
    request(app.getHttpServer()).get('/me').set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    redis = createTestClient();
    [a, b, strict] = await Promise.all([
      createTestApp(options(60_000)),
      createTestApp(options(60_000)),
      createTestApp(options(0)),
    ]);
    await waitFor(() => cacheOf(a).connected && cacheOf(b).connected, 2000);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close(), strict.close()]);
    await deleteByPrefix(redis, prefix);
    await redis.quit();
  });

  it('reads Redis once per request in strict mode, and not at all with a warm cache', async () => {
    const login = await a.get(SessionService).create({ id: 'warm' });
    const before = await commandCalls(redis, 'hmget');
    for (let i = 0; i < 10; i += 1) await me(strict, login.accessToken).expect(200);
    const afterStrict = await commandCalls(redis, 'hmget');
    expect(afterStrict - before).toBe(10);
    for (let i = 0; i < 10; i += 1) await me(b, login.accessToken).expect(200);
    expect((await commandCalls(redis, 'hmget')) - afterStrict).toBe(1);
  });

  it.each([
    [
      'logout',
      async (app: INestApplication, token: string) =>
        request(app.getHttpServer())
          .post('/auth/logout')
          .set('Authorization', `Bearer ${token}`)
          .expect(204),
    ],
    [
      'logout-all',
      async (app: INestApplication, token: string) =>
        request(app.getHttpServer())
          .post('/auth/logout-all')
          .set('Authorization', `Bearer ${token}`)
          .expect(204),
    ],
    [
      'revoke by id',
      async (app: INestApplication, _token: string, sessionId: string) =>
        expect(await app.get(SessionService).revoke(sessionId)).toBe(true),
    ],
  ] as const)(
    'refuses a session ended by %s on another instance within milliseconds',
    async (_how, end) => {
      const login = await a.get(SessionService).create({ id: `ended-${_how}` });
      await me(b, login.accessToken).expect(200); // now cached on b
      await me(b, login.accessToken).expect(200);
      await end(a, login.accessToken, login.sessionId);
      const elapsed = await waitFor(
        async () => (await me(b, login.accessToken)).status === 401,
        500,
      );
      expect(elapsed).toBeLessThan(500);
    },
  );

  it('refuses a session whose refresh token was replayed (reuse) on another instance', async () => {
    const login = await a.get(SessionService).create({ id: 'reused' });
    await me(b, login.accessToken).expect(200);
    const rotated = await a.get(SessionService).refresh(login.refreshToken);
    await me(b, rotated.accessToken).expect(200);
    // Rotated twice, the first token is neither current nor previous: replaying it is reuse.
    const again = await a.get(SessionService).refresh(rotated.refreshToken);
    await expect(a.get(SessionService).refresh(login.refreshToken)).rejects.toMatchObject({
      status: 401,
    });
    await waitFor(async () => (await me(b, again.accessToken)).status === 401, 500);
  });

  it('bypasses the cache while its channel is down, and trusts it again once back', async () => {
    const cache = cacheOf(b);
    const login = await a.get(SessionService).create({ id: 'channel-down' });
    await me(b, login.accessToken).expect(200); // cached on b

    await redis.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
    // A revocation nobody announces (the channel is down): deleted straight in Redis.
    const parts = parseSessionId(login.sessionId)!;
    await waitFor(() => !cache.connected, 2000);
    await redis.del(`${prefix}{${parts.userPart}}:${parts.randomPart}`);
    await me(b, login.accessToken).expect(401);

    await waitFor(() => cache.connected, 5000);
    const fresh = await a.get(SessionService).create({ id: 'channel-back' });
    await me(b, fresh.accessToken).expect(200);
    const before = await commandCalls(redis, 'hmget');
    await me(b, fresh.accessToken).expect(200);
    expect(await commandCalls(redis, 'hmget')).toBe(before);
  });

  it('serves an unannounced revocation for at most cacheMs (the bound when an announcement is lost)', async () => {
    const short = await createTestApp(options(300));
    try {
      await waitFor(() => cacheOf(short).connected, 2000);
      const login = await short.get(SessionService).create({ id: 'bounded' });
      await me(short, login.accessToken).expect(200);
      const parts = parseSessionId(login.sessionId)!;
      await redis.del(`${prefix}{${parts.userPart}}:${parts.randomPart}`);
      await me(short, login.accessToken).expect(200); // still cached: nobody announced it
      await waitFor(async () => (await me(short, login.accessToken)).status === 401, 1000);
    } finally {
      await short.close();
    }
  });
});
