import type { INestApplication } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { SessionService } from 'nest-redis-sessions';
import { encodeUserId, parseSessionId } from '../../src/store/session-id.js';
import { createTestClient, deleteByPrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import { createTestApp, testOptions } from '../support/session-app.js';

const CONCURRENCY = 50;

function jtiOf(refreshToken: string): string {
  return (jwt.decode(refreshToken) as { jti: string }).jti;
}

describe('refresh token rotation against real Redis', () => {
  let redis: Redis;
  const prefix = uniquePrefix('rotation');

  beforeAll(() => {
    redis = createTestClient();
  });
  afterAll(async () => {
    await deleteByPrefix(redis, prefix);
    await redis.quit();
  });

  function sessionKey(sessionId: string): string {
    const parts = parseSessionId(sessionId)!;
    return `${prefix}{${parts.userPart}}:${parts.randomPart}`;
  }

  describe.each([
    ['no grace window', 0],
    ['a 10 s grace window', 10_000],
  ])('%s', (_name, reuseGrace) => {
    let app: INestApplication;
    let sessions: SessionService;

    beforeAll(async () => {
      app = await createTestApp(
        testOptions({
          redis: { url: redisUrl(), keyPrefix: prefix },
          refreshToken: {
            secret: testOptions().refreshToken.secret,
            reuseGrace,
          },
        }),
      );
      sessions = app.get(SessionService);
    });
    afterAll(async () => app.close());

    it(`leaves at most one live refresh token after ${CONCURRENCY} concurrent refreshes`, async () => {
      for (let round = 0; round < 5; round += 1) {
        const login = await sessions.create({ id: `racer-${reuseGrace}-${round}` });
        const results = await Promise.allSettled(
          Array.from({ length: CONCURRENCY }, () => sessions.refresh(login.refreshToken)),
        );
        const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
        const failed = results.filter((r) => r.status === 'rejected');
        for (const failure of failed) {
          expect((failure as PromiseRejectedResult).reason).toMatchObject({ status: 401 });
        }
        const current = await redis.hget(sessionKey(login.sessionId), 'j');
        const issuedJtis = new Set(ok.map((t) => jtiOf(t.refreshToken)));
        if (reuseGrace === 0) {
          // The first refresh wins; the next one replays a retired token and kills the session.
          expect(ok.length).toBeLessThanOrEqual(1);
          expect(current).toBeNull();
        } else {
          // Inside the grace window every racer gets a pair for the one current rotation id.
          expect(ok).toHaveLength(CONCURRENCY);
          expect(issuedJtis.size).toBe(1);
          expect(current).toBe([...issuedJtis][0]);
          expect(ok.every((t) => t.sessionId === login.sessionId)).toBe(true);
        }
      }
    });

    it('refuses the original refresh token once it has been rotated twice', async () => {
      const login = await sessions.create({ id: `twice-${reuseGrace}` });
      const first = await sessions.refresh(login.refreshToken);
      await sessions.refresh(first.refreshToken);
      // The original jti is no longer even the previous one: always reuse, whatever the grace.
      await expect(sessions.refresh(login.refreshToken)).rejects.toMatchObject({ status: 401 });
      expect(await redis.exists(sessionKey(login.sessionId))).toBe(0);
      await expect(sessions.get(login.sessionId)).resolves.toBeNull();
    });
  });

  describe('replay after the grace window', () => {
    let app: INestApplication;
    let sessions: SessionService;

    beforeAll(async () => {
      app = await createTestApp(
        testOptions({
          redis: { url: redisUrl(), keyPrefix: prefix },
          refreshToken: { secret: testOptions().refreshToken.secret, reuseGrace: 300 },
        }),
      );
      sessions = app.get(SessionService);
    });
    afterAll(async () => app.close());

    it('answers a replay inside the window with the current pair, and revokes the session after it', async () => {
      const login = await sessions.create({ id: 'replayer' });
      const rotated = await sessions.refresh(login.refreshToken);
      const again = await sessions.refresh(login.refreshToken);
      expect(jtiOf(again.refreshToken)).toBe(jtiOf(rotated.refreshToken));
      await new Promise((resolve) => setTimeout(resolve, 350));
      await expect(sessions.refresh(login.refreshToken)).rejects.toMatchObject({ status: 401 });
      // The whole session is gone: the legitimate holder's newer tokens die with it.
      await expect(sessions.refresh(rotated.refreshToken)).rejects.toMatchObject({ status: 401 });
      const me = await request(app.getHttpServer())
        .get('/me')
        .set('Authorization', `Bearer ${rotated.accessToken}`);
      expect(me.status).toBe(401);
      expect(
        await redis.zscore(
          `${prefix}{${encodeUserId('replayer')}}:index`,
          parseSessionId(login.sessionId)!.randomPart,
        ),
      ).toBeNull();
    });
  });
});
