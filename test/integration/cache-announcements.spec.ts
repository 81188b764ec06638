// Issue 11, defect 2: an instance without the revocation cache (revocation.cacheMs 0, the
// default) must still announce its revocations and changes on the channel, or instances that do
// cache keep serving the old view of a session for up to cacheMs (here a minute).
import { Controller, Get, Module, UseGuards, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Redis } from 'ioredis';
import request from 'supertest';
import {
  AccessGuard,
  CurrentSession,
  SessionModule,
  SessionService,
  type SessionPrincipal,
} from 'nest-redis-sessions';
import { createTestClient, deleteByPrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import { TestAppController, testOptions } from '../support/session-app.js';

/** The README says an announcement takes milliseconds; 2 s is long enough to not be just slow. */
const ANNOUNCEMENT_WAIT_MS = 2000;
/** The caching instances keep a session for a minute: far longer than any test waits. */
const CACHE_MS = 60_000;

/** What the guard read for the session: its role and last credential check. */
@Controller()
class PrincipalController {
  @Get('principal')
  @UseGuards(AccessGuard)
  principal(@CurrentSession() session: SessionPrincipal) {
    return {
      sessionId: session.sessionId,
      role: session.role ?? null,
      authenticatedAt: session.authenticatedAt?.toISOString() ?? null,
    };
  }
}

interface Principal {
  sessionId: string;
  role: string | null;
  authenticatedAt: string | null;
}

async function startInstance(keyPrefix: string, cacheMs: number): Promise<INestApplication> {
  @Module({
    imports: [
      SessionModule.forRoot(
        testOptions({ redis: { url: redisUrl(), keyPrefix }, revocation: { cacheMs } }),
      ),
    ],
    controllers: [TestAppController, PrincipalController],
  })
  class InstanceModule {}
  const moduleRef = await Test.createTestingModule({ imports: [InstanceModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

/** Repeats `probe` until `done` holds or `timeoutMs` has passed; returns the last answer. */
async function poll<T>(probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + ANNOUNCEMENT_WAIT_MS;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('revocation announcements from an instance without the cache', () => {
  const keyPrefix = uniquePrefix('cache-announcements');
  let redis: Redis;
  /** A: revocation.cacheMs 0 (the default). B and C: a one-minute cache. One Redis, one prefix. */
  let a: INestApplication;
  let b: INestApplication;
  let c: INestApplication;

  beforeAll(async () => {
    redis = createTestClient();
    [a, b, c] = await Promise.all([
      startInstance(keyPrefix, 0),
      startInstance(keyPrefix, CACHE_MS),
      startInstance(keyPrefix, CACHE_MS),
    ]);
    // B and C listen on `<keyPrefix>revocations` (README, "Revocation cache") before any test.
    const channel = `${keyPrefix}revocations`;
    const listeners = await poll(
      async () => Number((await redis.pubsub('NUMSUB', channel))[1]),
      (count) => count >= 2,
    );
    expect(listeners).toBe(2);
  });
  afterAll(async () => {
    await Promise.all([a, b, c].map((app) => app?.close()));
    await deleteByPrefix(redis, keyPrefix);
    await redis.quit();
  });

  function me(app: INestApplication, accessToken: string): request.Test {
    return request(app.getHttpServer()).get('/me').set('Authorization', `Bearer ${accessToken}`);
  }

  async function principal(app: INestApplication, accessToken: string): Promise<Principal> {
    const res = await request(app.getHttpServer())
      .get('/principal')
      .set('Authorization', `Bearer ${accessToken}`);
    expect(res.status).toBe(200);
    return res.body as Principal;
  }

  /** Logs in on B and reads the session there twice: B now serves it from its cache. */
  async function cachedOnB(user: string, role = 'user') {
    const res = await request(b.getHttpServer()).post('/login').query({ user, role });
    expect(res.status).toBe(201);
    const session = res.body as { accessToken: string; sessionId: string };
    await me(b, session.accessToken).expect(200);
    await principal(b, session.accessToken);
    return session;
  }

  /** The status of `GET /me` on B once it is 401, or after ANNOUNCEMENT_WAIT_MS. */
  async function statusOnBAfterWaiting(accessToken: string): Promise<number> {
    const res = await poll(
      () => me(b, accessToken),
      (r) => r.status === 401,
    );
    return res.status;
  }

  it('refuses on a caching instance a session logged out through an instance without the cache', async () => {
    const session = await cachedOnB('logout-on-a');
    const out = await request(a.getHttpServer())
      .post('/auth/logout')
      .set('Authorization', `Bearer ${session.accessToken}`);
    expect(out.status).toBe(204);
    await me(a, session.accessToken).expect(401); // A reads Redis: the session is gone there

    expect(await statusOnBAfterWaiting(session.accessToken)).toBe(401);
  });

  it('refuses on a caching instance the sessions ended by SessionService.revokeAll on an instance without the cache', async () => {
    const session = await cachedOnB('revoke-all-on-a');
    expect(await a.get(SessionService).revokeAll('revoke-all-on-a')).toBe(1);
    await me(a, session.accessToken).expect(401);

    expect(await statusOnBAfterWaiting(session.accessToken)).toBe(401);
  });

  it('refuses on a caching instance a session ended by SessionService.revoke on an instance without the cache', async () => {
    const session = await cachedOnB('revoke-on-a');
    expect(await a.get(SessionService).revoke(session.sessionId)).toBe(true);
    await me(a, session.accessToken).expect(401);

    expect(await statusOnBAfterWaiting(session.accessToken)).toBe(401);
  });

  it('shows on a caching instance a role changed by SessionService.updateClaims on an instance without the cache', async () => {
    const session = await cachedOnB('promoted-on-a', 'user');
    expect(
      await a.get(SessionService).updateClaims({ sessionId: session.sessionId }, { role: 'admin' }),
    ).toBe(1);
    expect((await principal(a, session.accessToken)).role).toBe('admin');

    const onB = await poll(
      () => principal(b, session.accessToken),
      (p) => p.role === 'admin',
    );
    expect(onB.role).toBe('admin');
  });

  it('shows on a caching instance a step-up recorded by SessionService.markFresh on an instance without the cache', async () => {
    const session = await cachedOnB('stepped-up-on-a');
    const before = (await principal(b, session.accessToken)).authenticatedAt;
    await new Promise((resolve) => setTimeout(resolve, 20)); // a later millisecond
    expect(await a.get(SessionService).markFresh(session.sessionId)).toBe(true);
    const fresh = (await principal(a, session.accessToken)).authenticatedAt;
    expect(Date.parse(String(fresh))).toBeGreaterThan(Date.parse(String(before)));

    const onB = await poll(
      () => principal(b, session.accessToken),
      (p) => p.authenticatedAt === fresh,
    );
    expect(onB.authenticatedAt).toBe(fresh);
  });

  it('refuses on a caching instance a session logged out through another caching instance (control)', async () => {
    const session = await cachedOnB('logout-on-c');
    const out = await request(c.getHttpServer())
      .post('/auth/logout')
      .set('Authorization', `Bearer ${session.accessToken}`);
    expect(out.status).toBe(204);

    expect(await statusOnBAfterWaiting(session.accessToken)).toBe(401);
  });
});
