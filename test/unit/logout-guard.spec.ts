import { SessionCrossSiteException, SessionUnauthorizedException } from 'nest-redis-sessions';
import { LogoutGuard } from '../../src/guards/logout.guard.js';
import {
  FOREIGN_SITE,
  GARBAGE_TOKEN,
  REFRESH_COOKIE,
  SAME_SITE,
  cookies,
  expectRefused,
  guardModule,
  httpContext,
  httpRequest,
  type GuardModule,
} from '../support/guards.js';

/** The route the guard protects (`POST /auth/logout`), as far as the guard can tell. */
class LogoutRoutes {
  logout(): void {}
}

const HOUR = 3_600_000;

function logoutContext(headers: Record<string, string>) {
  const request = httpRequest('POST', headers);
  return { request, context: httpContext(request, LogoutRoutes, 'logout') };
}

describe('LogoutGuard', () => {
  let kit: GuardModule;
  let guard: LogoutGuard;

  beforeAll(async () => {
    kit = await guardModule();
    guard = kit.moduleRef.get(LogoutGuard);
  });
  afterAll(async () => kit.moduleRef.close());

  /** An access token of the session that expired half an hour ago. */
  function expiredAccessToken(userId: string, sessionId: string): string {
    const past = Date.now() - HOUR;
    return kit.tokens.signAccess({ userId, sessionId, claims: {} }, past, past + HOUR / 2).token;
  }

  it('ends the session of a live Bearer token, even with a cross-site refresh cookie', async () => {
    const session = await kit.login({ id: 'alice', role: 'user' });
    const { request, context } = logoutContext({
      authorization: `Bearer ${session.accessToken}`,
      cookie: cookies({ [REFRESH_COOKIE]: GARBAGE_TOKEN }),
      origin: FOREIGN_SITE,
    });

    await expect(guard.canActivate(context)).resolves.toBe(true);
    expect(request.user).toMatchObject({
      userId: 'alice',
      sessionId: session.sessionId,
      role: 'user',
    });
    expect(request.user).not.toHaveProperty('kind');
  });

  it.each([
    ['an expired', (id: string, sid: string) => expiredAccessToken(id, sid)],
    ['a garbage', () => GARBAGE_TOKEN],
  ])(
    'falls back to a same-site refresh cookie when the Bearer token is %s one',
    async (_case, bearer) => {
      const session = await kit.login({ id: 'bob' });
      const { request, context } = logoutContext({
        authorization: `Bearer ${bearer('bob', session.sessionId)}`,
        cookie: cookies({ [REFRESH_COOKIE]: session.refreshToken }),
        origin: SAME_SITE,
      });

      await expect(guard.canActivate(context)).resolves.toBe(true);
      expect(request.user).toEqual({
        kind: 'refresh',
        userId: 'bob',
        sessionId: session.sessionId,
        jti: expect.any(String),
        expiresAt: session.refreshTokenExpiresAt,
      });
    },
  );

  it('refuses the refresh cookie from another site behind an expired Bearer token (403)', async () => {
    const session = await kit.login({ id: 'carol' });
    const { context } = logoutContext({
      authorization: `Bearer ${expiredAccessToken('carol', session.sessionId)}`,
      cookie: cookies({ [REFRESH_COOKIE]: session.refreshToken }),
      origin: FOREIGN_SITE,
    });

    await expectRefused(() => guard.canActivate(context), SessionCrossSiteException, 403);
  });

  it('refuses the refresh cookie from another site behind an Authorization: Basic header (403)', async () => {
    const session = await kit.login({ id: 'dave' });
    const { request, context } = logoutContext({
      authorization: 'Basic ZGF2ZTpodW50ZXIy',
      cookie: cookies({ [REFRESH_COOKIE]: session.refreshToken }),
      origin: FOREIGN_SITE,
    });

    await expectRefused(() => guard.canActivate(context), SessionCrossSiteException, 403);
    expect(request.user).toBeUndefined();
    // The session is untouched: still live.
    await expect(kit.sessions.get(session.sessionId)).resolves.not.toBeNull();
  });

  it('refuses a request with neither token (401)', async () => {
    const { context } = logoutContext({ origin: SAME_SITE });
    await expectRefused(() => guard.canActivate(context), SessionUnauthorizedException, 401);
  });
});
