// Issue 11, defect 3: POST /auth/logout skipped the cross-site check whenever the request had any
// Authorization header. Browsers attach Basic or Negotiate credentials by themselves behind HTTP
// auth, so a page on another site could end a user's session through the refresh cookie.
import type { Redis } from 'ioredis';
import request from 'supertest';
import { SessionModule, type SessionModuleOptions } from 'nest-redis-sessions';
import {
  cookie,
  CROSS_SITE,
  PLATFORMS,
  requireCookie,
  SAME_ORIGIN,
  startPlatformApp,
  type HttpServer,
  type Platform,
  type PlatformApp,
} from '../support/platform-app.js';
import { createTestClient, deleteByPrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import { ACCESS_SECRET, TestAppController, testOptions } from '../support/session-app.js';

const CROSS_SITE_REFUSED = { statusCode: 403, message: 'Cross-site request refused' };

interface Session {
  sessionId: string;
  accessToken: string;
  refreshCookie: string;
}

/** The token with the first character of its signature changed: well-formed, wrongly signed. */
function forged(token: string): string {
  const [header, payload, signature = ''] = token.split('.');
  return `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
}

/** An app with the module's routes and the test controller (`POST /login`, guarded `GET /me`). */
function useApp(platform: Platform, name: string, options: Partial<SessionModuleOptions> = {}) {
  const keyPrefix = uniquePrefix(name);
  let redis: Redis | undefined;
  let t: PlatformApp | undefined;
  beforeAll(async () => {
    redis = createTestClient();
    t = await startPlatformApp(platform, {
      imports: [
        SessionModule.forRoot(testOptions({ redis: { url: redisUrl(), keyPrefix }, ...options })),
      ],
      controllers: [TestAppController],
    });
  });
  afterAll(async () => {
    await t?.app.close();
    if (redis) {
      await deleteByPrefix(redis, keyPrefix);
      await redis.quit();
    }
  });

  const server = (): HttpServer => {
    if (!t) throw new Error('app not started');
    return t.server;
  };

  async function logIn(user: string): Promise<Session> {
    const res = await request(server()).post('/login').query({ user });
    expect(res.status).toBe(201);
    const body = res.body as { sessionId: string; accessToken: string };
    return {
      sessionId: body.sessionId,
      accessToken: body.accessToken,
      refreshCookie: requireCookie(res, 'refresh_token'),
    };
  }

  function logout(headers: Record<string, string>): request.Test {
    return request(server()).post('/auth/logout').set(headers);
  }

  /** Whether the session goes on: a refresh from the app's own page still works. */
  async function stillLive(session: Session): Promise<boolean> {
    const res = await request(server())
      .post('/auth/refresh')
      .set(SAME_ORIGIN)
      .set(cookie('refresh_token', session.refreshCookie));
    return (
      res.status === 200 && (res.body as { sessionId?: string }).sessionId === session.sessionId
    );
  }

  return { server, logIn, logout, stillLive };
}

describe.each(PLATFORMS)('POST /auth/logout with the refresh cookie, on %s', (platform) => {
  const t = useApp(platform, 'logout-credentials');

  const AUTHORIZATION: Array<[string, (session: Session) => string]> = [
    ['Basic credentials (sent by the browser itself)', () => 'Basic dXNlcjpwYXNz'],
    ['Negotiate credentials (sent by the browser itself)', () => 'Negotiate YIIGhgYGKwYBBQUCoII='],
    ['an empty value', () => ''],
    ['Bearer garbage', () => 'Bearer garbage'],
    ['a forged Bearer token', (session) => `Bearer ${forged(session.accessToken)}`],
  ];

  it.each(AUTHORIZATION)(
    'refuses it from another site with 403 when it also carries Authorization: %s, and the session goes on',
    async (_case, authorization) => {
      const session = await t.logIn('csrf-victim');
      const res = await t.logout({
        ...CROSS_SITE,
        ...cookie('refresh_token', session.refreshCookie),
        Authorization: authorization(session),
      });
      expect({ status: res.status, body: res.body as unknown }).toEqual({
        status: 403,
        body: CROSS_SITE_REFUSED,
      });
      expect(await t.stillLive(session)).toBe(true);
    },
  );

  it('refuses it from another site with 403 without an Authorization header', async () => {
    const session = await t.logIn('csrf-victim');
    const res = await t.logout({
      ...CROSS_SITE,
      ...cookie('refresh_token', session.refreshCookie),
    });
    expect({ status: res.status, body: res.body as unknown }).toEqual({
      status: 403,
      body: CROSS_SITE_REFUSED,
    });
    expect(await t.stillLive(session)).toBe(true);
  });

  it("accepts it from the app's own page with Authorization: Basic", async () => {
    const session = await t.logIn('leaving-user');
    const res = await t.logout({
      ...SAME_ORIGIN,
      ...cookie('refresh_token', session.refreshCookie),
      Authorization: 'Basic dXNlcjpwYXNz',
    });
    expect(res.status).toBe(204);
    expect(await t.stillLive(session)).toBe(false);
  });

  it('accepts a valid Bearer access token without cookies from another site (no cookie, no CSRF)', async () => {
    const session = await t.logIn('api-client');
    const res = await t.logout({ ...CROSS_SITE, Authorization: `Bearer ${session.accessToken}` });
    expect(res.status).toBe(204);
    expect(await t.stillLive(session)).toBe(false);
  });
});

describe.each(PLATFORMS)(
  'POST /auth/logout with the refresh cookie and an expired access token, on %s',
  (platform) => {
    const t = useApp(platform, 'logout-expired', {
      accessToken: { secret: ACCESS_SECRET, ttl: '1s' },
    });

    it('refuses it from another site with 403 when it also carries the expired token as Bearer', async () => {
      const session = await t.logIn('csrf-victim');
      // Wait until the access token has expired (the session itself lives on).
      const deadline = Date.now() + 3000;
      for (;;) {
        const me = await request(t.server())
          .get('/me')
          .set('Authorization', `Bearer ${session.accessToken}`);
        if (me.status === 401) break;
        if (Date.now() > deadline) throw new Error('the 1 s access token did not expire');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      const res = await t.logout({
        ...CROSS_SITE,
        ...cookie('refresh_token', session.refreshCookie),
        Authorization: `Bearer ${session.accessToken}`,
      });
      expect({ status: res.status, body: res.body as unknown }).toEqual({
        status: 403,
        body: CROSS_SITE_REFUSED,
      });
      expect(await t.stillLive(session)).toBe(true);
    });
  },
);
