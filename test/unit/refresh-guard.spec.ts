import {
  RefreshGuard,
  SessionCrossSiteException,
  SessionUnauthorizedException,
} from 'nest-redis-sessions';
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
import { randomText } from '../support/secrets.js';

/** The route the guard protects (`POST /auth/refresh`), as far as the guard can tell. */
class RefreshRoutes {
  refresh(): void {}
}

function refreshContext(headers: Record<string, string>, body?: unknown) {
  const request = { ...httpRequest('POST', headers), body };
  return { request, context: httpContext(request, RefreshRoutes, 'refresh') };
}

describe('RefreshGuard', () => {
  let kit: GuardModule;
  let guard: RefreshGuard;

  beforeAll(async () => {
    kit = await guardModule();
    guard = kit.moduleRef.get(RefreshGuard);
  });
  afterAll(async () => kit.moduleRef.close());

  it('lets the refresh cookie through and leaves a RefreshPrincipal on the request', async () => {
    const session = await kit.login({ id: 'alice' });
    const { request, context } = refreshContext({
      cookie: cookies({ [REFRESH_COOKIE]: session.refreshToken }),
      origin: SAME_SITE,
    });

    expect(guard.canActivate(context)).toBe(true);
    expect(request.user).toEqual({
      kind: 'refresh',
      userId: 'alice',
      sessionId: session.sessionId,
      jti: expect.any(String),
      expiresAt: session.refreshTokenExpiresAt,
    });
  });

  it('refuses the refresh cookie sent from another site (403), whatever the token', async () => {
    const session = await kit.login({ id: 'bob' });
    for (const token of [session.refreshToken, GARBAGE_TOKEN]) {
      const { context } = refreshContext({
        cookie: cookies({ [REFRESH_COOKIE]: token }),
        origin: FOREIGN_SITE,
      });
      await expectRefused(() => guard.canActivate(context), SessionCrossSiteException, 403);
    }
  });

  it('refuses a request without a refresh token (401)', async () => {
    const { context } = refreshContext({ origin: SAME_SITE });
    await expectRefused(() => guard.canActivate(context), SessionUnauthorizedException, 401);
  });

  it('refuses an access token presented as the refresh token (401)', async () => {
    const session = await kit.login({ id: 'carol' });
    const { request, context } = refreshContext({
      cookie: cookies({ [REFRESH_COOKIE]: session.accessToken }),
    });

    await expectRefused(() => guard.canActivate(context), SessionUnauthorizedException, 401);
    expect(request.user).toBeUndefined();
  });

  it('ignores a refresh token in the body unless acceptFromBody is on', async () => {
    const session = await kit.login({ id: 'dave' });
    const { context } = refreshContext({}, { refreshToken: session.refreshToken });
    await expectRefused(() => guard.canActivate(context), SessionUnauthorizedException, 401);

    const bodyKit = await guardModule({
      refreshToken: { secret: randomText(48), acceptFromBody: true },
    });
    try {
      const bodySession = await bodyKit.login({ id: 'dave' });
      const allowed = refreshContext(
        { origin: FOREIGN_SITE },
        { refreshToken: bodySession.refreshToken },
      );
      // A body is never sent by a browser on its own: no cross-site check.
      expect(bodyKit.moduleRef.get(RefreshGuard).canActivate(allowed.context)).toBe(true);
      expect(allowed.request.user).toMatchObject({ kind: 'refresh', userId: 'dave' });
    } finally {
      await bodyKit.moduleRef.close();
    }
  });
});
