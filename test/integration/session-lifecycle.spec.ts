import type { INestApplication } from '@nestjs/common';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { SessionService } from 'nest-redis-sessions';
import { encodeUserId, parseSessionId } from '../../src/store/session-id.js';
import {
  createTestClient,
  deleteByPrefix,
  redisUrl,
  scanByPrefix,
  uniquePrefix,
} from '../support/redis.js';
import { createTestApp, testOptions } from '../support/session-app.js';

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return check();
}

describe('session lifecycle in Redis', () => {
  let redis: Redis;
  const prefix = uniquePrefix('lifecycle');

  beforeAll(() => {
    redis = createTestClient();
  });
  afterAll(async () => {
    await deleteByPrefix(redis, prefix);
    await redis.quit();
  });

  function keyOf(sessionId: string): string {
    const parts = parseSessionId(sessionId)!;
    return `${prefix}{${parts.userPart}}:${parts.randomPart}`;
  }
  const indexOf = (userId: string) => `${prefix}{${encodeUserId(userId)}}:index`;

  async function start(overrides: Parameters<typeof testOptions>[0]) {
    const app = await createTestApp(
      testOptions({ redis: { url: redisUrl(), keyPrefix: prefix }, ...overrides }),
    );
    return { app, sessions: app.get(SessionService) };
  }

  describe('expiry', () => {
    let app: INestApplication;
    let sessions: SessionService;
    beforeAll(
      async () =>
        ({ app, sessions } = await start({
          idleTimeout: '1s',
          absoluteTimeout: '30d',
          accessToken: { secret: testOptions().accessToken.secret, ttl: '1s' },
          refreshToken: { secret: testOptions().refreshToken.secret, ttl: '1s' },
        })),
    );
    afterAll(async () => app.close());

    it('gives the session key and the index a TTL no longer than the idle timeout', async () => {
      const login = await sessions.create({ id: 'idle-user' });
      const ttl = await redis.pttl(keyOf(login.sessionId));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1000);
      const indexTtl = await redis.pttl(indexOf('idle-user'));
      expect(indexTtl).toBeGreaterThan(0);
      expect(indexTtl).toBeLessThanOrEqual(1000);
    });

    it('lets an idle session expire in Redis by itself, after which refresh is refused', async () => {
      const login = await sessions.create({ id: 'idle-user-2' });
      expect(
        await waitFor(async () => (await redis.exists(keyOf(login.sessionId))) === 0, 3000),
      ).toBe(true);
      await expect(sessions.refresh(login.refreshToken)).rejects.toMatchObject({ status: 401 });
      await expect(sessions.list('idle-user-2')).resolves.toEqual([]);
    });
  });

  describe('absolute timeout', () => {
    let app: INestApplication;
    let sessions: SessionService;
    beforeAll(
      async () =>
        ({ app, sessions } = await start({
          idleTimeout: '7d',
          absoluteTimeout: '2s',
          accessToken: { secret: testOptions().accessToken.secret, ttl: '1s' },
          refreshToken: { secret: testOptions().refreshToken.secret, ttl: '1s' },
        })),
    );
    afterAll(async () => app.close());

    it('is never extended by refreshes: TTL stays under the absolute expiry', async () => {
      const login = await sessions.create({ id: 'absolute-user' });
      const info = await sessions.get(login.sessionId);
      const refreshed = await sessions.refresh(login.refreshToken);
      const ttl = await redis.pttl(keyOf(login.sessionId));
      expect(ttl).toBeGreaterThan(0);
      expect(Date.now() + ttl).toBeLessThanOrEqual(info!.absoluteExpiresAt.getTime() + 5);
      expect(refreshed.refreshTokenExpiresAt.getTime()).toBeLessThanOrEqual(
        info!.absoluteExpiresAt.getTime(),
      );
      expect(await waitFor(async () => (await sessions.get(login.sessionId)) === null, 4000)).toBe(
        true,
      );
      await expect(sessions.refresh(refreshed.refreshToken)).rejects.toMatchObject({ status: 401 });
    });
  });

  describe('maxSessionsPerUser', () => {
    let app: INestApplication;
    let sessions: SessionService;
    beforeAll(async () => ({ app, sessions } = await start({ maxSessionsPerUser: 3 })));
    afterAll(async () => app.close());

    it('evicts the earliest-created session when a login exceeds the limit', async () => {
      const first = await sessions.create({ id: 'limited' });
      await sessions.create({ id: 'limited' });
      await sessions.create({ id: 'limited' });
      const fourth = await sessions.create({ id: 'limited' });
      expect(fourth.evictedSessionIds).toEqual([first.sessionId]);
      await expect(sessions.get(first.sessionId)).resolves.toBeNull();
      const me = await request(app.getHttpServer())
        .get('/me')
        .set('Authorization', `Bearer ${first.accessToken}`);
      expect(me.status).toBe(401);
      expect(await sessions.list('limited')).toHaveLength(3);
    });

    it('holds the limit exactly under a storm of concurrent logins', async () => {
      for (let round = 0; round < 3; round += 1) {
        const user = `storm-${round}`;
        const created = await Promise.all(
          Array.from({ length: 30 }, () => sessions.create({ id: user })),
        );
        const live = await sessions.list(user);
        expect(live).toHaveLength(3);
        expect(await redis.zcard(indexOf(user))).toBe(3);
        const evicted = new Set(created.flatMap((c) => c.evictedSessionIds));
        expect(evicted.size).toBe(27);
        for (const session of live) expect(evicted.has(session.id)).toBe(false);
      }
    });
  });

  describe('revocation', () => {
    let app: INestApplication;
    let sessions: SessionService;
    beforeAll(async () => ({ app, sessions } = await start({})));
    afterAll(async () => app.close());

    it('refuses a revoked session at the next request, before its access token expires', async () => {
      const login = await sessions.create({ id: 'revoked-user' });
      const server = app.getHttpServer();
      await request(server)
        .get('/me')
        .set('Authorization', `Bearer ${login.accessToken}`)
        .expect(200);
      await expect(sessions.revoke(login.sessionId)).resolves.toBe(true);
      await request(server)
        .get('/me')
        .set('Authorization', `Bearer ${login.accessToken}`)
        .expect(401);
      await expect(sessions.revoke(login.sessionId)).resolves.toBe(false);
      await expect(sessions.get(login.sessionId)).resolves.toBeNull();
    });

    it('revokeAll ends every session of the user but the excepted one, and no other user', async () => {
      const keep = await sessions.create({ id: 'many' });
      await Promise.all(Array.from({ length: 5 }, () => sessions.create({ id: 'many' })));
      const other = await sessions.create({ id: 'bystander' });
      await expect(sessions.revokeAll('many', { except: keep.sessionId })).resolves.toBe(5);
      expect((await sessions.list('many')).map((s) => s.id)).toEqual([keep.sessionId]);
      await expect(sessions.get(other.sessionId)).resolves.not.toBeNull();
      await expect(sessions.revokeAll('many')).resolves.toBe(1);
      const leftovers = await scanByPrefix(redis, `${prefix}{${encodeUserId('many')}}`);
      expect(leftovers.filter((k) => !k.endsWith(':index'))).toEqual([]);
    });

    it('lists sessions newest first with their client details', async () => {
      const a = await sessions.create({ id: 'lister' }, { userAgent: 'agent-a', ip: '10.0.0.1' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const b = await sessions.create(
        { id: 'lister' },
        { userAgent: 'x'.repeat(1000), ip: '10.0.0.2' },
      );
      const list = await sessions.list('lister');
      expect(list.map((s) => s.id)).toEqual([b.sessionId, a.sessionId]);
      expect(list[1]).toMatchObject({ userAgent: 'agent-a', ip: '10.0.0.1', userId: 'lister' });
      expect(list[0].userAgent).toHaveLength(256);
    });

    it('keeps users with braces, colons and unicode in their ids apart', async () => {
      const ids = ['a}b', '{a}', 'a:b', 'ünï{cødé}', 'a'];
      const created = await Promise.all(ids.map((id) => sessions.create({ id })));
      for (const [i, id] of ids.entries()) {
        const list = await sessions.list(id);
        expect(list.map((s) => s.id)).toEqual([created[i].sessionId]);
        expect(list[0].userId).toBe(id);
      }
      await sessions.revokeAll('a}b');
      await expect(sessions.get(created[0].sessionId)).resolves.toBeNull();
      await expect(sessions.get(created[1].sessionId)).resolves.not.toBeNull();
    });

    it('refuses a bad user id from application code', async () => {
      await expect(sessions.create({ id: '' })).rejects.toThrow('user.id');
      await expect(sessions.create({ id: 'x'.repeat(129) })).rejects.toThrow('user.id');
      await expect(sessions.create({ id: 'u', claims: { email: 'a@b' } })).rejects.toThrow(
        'customClaims',
      );
    });
  });
});
