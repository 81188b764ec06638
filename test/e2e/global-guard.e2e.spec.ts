// Issue 11, defect 1: the README tells apps to install AccessGuard app-wide; the module's own
// refresh and logout routes must still work with only the refresh cookie under it (the browser
// drops the access cookie at its Max-Age, which is exactly when it must refresh).
import { readFileSync } from 'node:fs';
import { Controller, Get, HttpCode, Post, Req, Res, type Provider } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Redis } from 'ioredis';
import request from 'supertest';
import {
  AccessGuard,
  CurrentSession,
  Public,
  SessionModule,
  SessionService,
  type CookieRequest,
  type CookieResponse,
  type SessionPrincipal,
} from 'nest-redis-sessions';
import {
  cookie,
  PLATFORMS,
  requireCookie,
  SAME_ORIGIN,
  startPlatformApp,
  type HttpServer,
  type PlatformApp,
} from '../support/platform-app.js';
import { createTestClient, deleteByPrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import { testOptions } from '../support/session-app.js';

/** The provider line of the README ("Guards and decorators", `@Public()`), exactly as written there. */
const README_GLOBAL_GUARD = '{ provide: APP_GUARD, useExisting: AccessGuard }';
/** The same provider, as an app that copied that line has it. */
const globalAccessGuard: Provider = { provide: APP_GUARD, useExisting: AccessGuard };

const UNAUTHORIZED = { statusCode: 401, message: 'Unauthorized' };

/** An app's own routes under the global guard: a public login and catalogue, guarded orders. */
@Controller()
class ShopController {
  constructor(private readonly sessions: SessionService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  async login(
    @Req() req: CookieRequest & { query: { user?: string } },
    @Res({ passthrough: true }) res: CookieResponse,
  ) {
    const issued = await this.sessions.create(
      { id: req.query.user ?? 'shopper' },
      { request: req, response: res },
    );
    return { sessionId: issued.sessionId, accessToken: issued.accessToken };
  }

  @Public()
  @Get('catalogue')
  catalogue() {
    return { items: ['tea', 'cake'] };
  }

  @Get('orders')
  orders(@CurrentSession() session: SessionPrincipal) {
    return { userId: session.userId, sessionId: session.sessionId };
  }
}

interface Browser {
  sessionId: string;
  accessToken: string;
  /** The cookies the login set, as the browser keeps them. */
  accessCookie: string;
  refreshCookie: string;
}

describe('the README on a global AccessGuard', () => {
  it('still tells apps to install it with the provider these tests use', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(README_GLOBAL_GUARD);
  });
});

describe.each(PLATFORMS)('an app with the README global AccessGuard, on %s', (platform) => {
  const keyPrefix = uniquePrefix('global-guard');
  let redis: Redis;
  let t: PlatformApp;
  let server: HttpServer;

  beforeAll(async () => {
    redis = createTestClient();
    t = await startPlatformApp(platform, {
      imports: [SessionModule.forRoot(testOptions({ redis: { url: redisUrl(), keyPrefix } }))],
      controllers: [ShopController],
      providers: [globalAccessGuard],
    });
    server = t.server;
  });
  afterAll(async () => {
    await t?.app.close();
    await deleteByPrefix(redis, keyPrefix);
    await redis.quit();
  });

  async function logIn(user: string): Promise<Browser> {
    const res = await request(server).post('/login').query({ user }).set(SAME_ORIGIN);
    expect(res.status).toBe(200);
    const body = res.body as { sessionId: string; accessToken: string };
    return {
      sessionId: body.sessionId,
      accessToken: body.accessToken,
      accessCookie: requireCookie(res, 'access_token'),
      refreshCookie: requireCookie(res, 'refresh_token'),
    };
  }

  /** `POST /auth/refresh` from the app's own page, the access cookie already dropped. */
  function refreshWithOnlyTheRefreshCookie(refreshCookie: string): request.Test {
    return request(server)
      .post('/auth/refresh')
      .set(SAME_ORIGIN)
      .set(cookie('refresh_token', refreshCookie));
  }

  function orders(headers: Record<string, string>): request.Test {
    return request(server).get('/orders').set(SAME_ORIGIN).set(headers);
  }

  it('refreshes with only the refresh cookie under a global AccessGuard', async () => {
    const browser = await logIn('refresh-only');
    const res = await refreshWithOnlyTheRefreshCookie(browser.refreshCookie);
    expect({ status: res.status, body: res.body as unknown }).toMatchObject({
      status: 200,
      body: { sessionId: browser.sessionId },
    });
    expect(requireCookie(res, 'access_token')).not.toBe(browser.accessCookie);
    expect(requireCookie(res, 'refresh_token')).not.toBe(browser.refreshCookie);
  });

  it('serves an app route with the access cookie that a refresh under the global guard set', async () => {
    const browser = await logIn('refreshed-shopper');
    const refreshed = await refreshWithOnlyTheRefreshCookie(browser.refreshCookie);
    expect(refreshed.status).toBe(200);
    const res = await orders(cookie('access_token', requireCookie(refreshed, 'access_token')));
    expect({ status: res.status, body: res.body as unknown }).toEqual({
      status: 200,
      body: { userId: 'refreshed-shopper', sessionId: browser.sessionId },
    });
  });

  it('logs out with only the refresh cookie under a global AccessGuard, and the session is gone', async () => {
    const browser = await logIn('leaving-shopper');
    const res = await request(server)
      .post('/auth/logout')
      .set(SAME_ORIGIN)
      .set(cookie('refresh_token', browser.refreshCookie));
    expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 204 });

    const again = await refreshWithOnlyTheRefreshCookie(browser.refreshCookie);
    expect({ status: again.status, body: again.body as unknown }).toEqual({
      status: 401,
      body: UNAUTHORIZED,
    });
    expect((await orders({ Authorization: `Bearer ${browser.accessToken}` })).status).toBe(401);
  });

  it('still refuses POST /auth/logout-all without an access token, even with the refresh cookie', async () => {
    const browser = await logIn('logout-all-shopper');
    for (const headers of [{}, cookie('refresh_token', browser.refreshCookie)]) {
      const res = await request(server).post('/auth/logout-all').set(SAME_ORIGIN).set(headers);
      expect({ status: res.status, body: res.body as unknown }).toEqual({
        status: 401,
        body: UNAUTHORIZED,
      });
    }
    expect((await orders({ Authorization: `Bearer ${browser.accessToken}` })).status).toBe(200);
  });

  it('still refuses GET /auth/sessions without an access token, even with the refresh cookie', async () => {
    const browser = await logIn('list-shopper');
    for (const headers of [{}, cookie('refresh_token', browser.refreshCookie)]) {
      const res = await request(server).get('/auth/sessions').set(SAME_ORIGIN).set(headers);
      expect({ status: res.status, body: res.body as unknown }).toEqual({
        status: 401,
        body: UNAUTHORIZED,
      });
    }
  });

  it('lists sessions and logs out everywhere with the access cookie', async () => {
    const browser = await logIn('signed-in-shopper');
    const access = cookie('access_token', browser.accessCookie);
    const listed = await request(server).get('/auth/sessions').set(SAME_ORIGIN).set(access);
    expect(listed.status).toBe(200);
    expect((listed.body as { sessions: { id: string }[] }).sessions.map((s) => s.id)).toEqual([
      browser.sessionId,
    ]);
    const out = await request(server).post('/auth/logout-all').set(SAME_ORIGIN).set(access);
    expect(out.status).toBe(204);
    expect((await orders(access)).status).toBe(401);
  });

  it('keeps a @Public() route open without a token', async () => {
    const res = await request(server).get('/catalogue').set(SAME_ORIGIN);
    expect({ status: res.status, body: res.body as unknown }).toEqual({
      status: 200,
      body: { items: ['tea', 'cake'] },
    });
  });

  it('refuses an app route not marked @Public() without a token', async () => {
    const res = await orders({});
    expect({ status: res.status, body: res.body as unknown }).toEqual({
      status: 401,
      body: UNAUTHORIZED,
    });
  });
});
