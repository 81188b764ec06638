import type { Redis } from 'ioredis';
import request from 'supertest';
import { createTestClient, deleteByPrefix } from '../support/redis.js';
import {
  bearer,
  cookieHeader,
  e2eEnv,
  expectError,
  login,
  startApp,
  type TestApp,
} from './e2e-helpers.js';

const env = e2eEnv('e2e-max-sessions', { MAX_SESSIONS_PER_USER: '2' });
let t: TestApp;
let redis: Redis;

beforeAll(async () => {
  t = await startApp(env);
  redis = createTestClient();
});
afterAll(async () => {
  await t.app.close();
  await deleteByPrefix(redis, env.REDIS_KEY_PREFIX);
  await redis.quit();
});

describe('MAX_SESSIONS_PER_USER=2', () => {
  it("evicts the user's earliest session on a third login, and no one else's", async () => {
    const bob = await login(t.server, 'bob');
    const first = await login(t.server, 'alice', 'first');
    const second = await login(t.server, 'alice', 'second');
    const third = await login(t.server, 'alice', 'third');

    const me = (token: string): request.Test =>
      request(t.server).get('/me').set('Authorization', bearer(token));
    expectError(await me(first.accessToken), 401, 'Unauthorized', [first.accessToken]);
    const evictedRefresh = await request(t.server)
      .post('/auth/refresh')
      .set('Cookie', cookieHeader({ refresh_token: first.refreshToken }));
    expectError(evictedRefresh, 401, 'Unauthorized', [first.refreshToken]);
    expect((await me(second.accessToken)).status).toBe(200);
    expect((await me(third.accessToken)).status).toBe(200);
    expect((await me(bob.accessToken)).status).toBe(200);

    const listed = await request(t.server)
      .get('/auth/sessions')
      .set('Authorization', bearer(third.accessToken));
    expect(listed.status).toBe(200);
    expect((listed.body as { sessions: Array<{ id: string }> }).sessions.map((s) => s.id)).toEqual([
      third.sessionId,
      second.sessionId,
    ]);
  });
});
