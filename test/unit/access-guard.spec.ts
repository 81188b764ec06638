import { Injectable } from '@nestjs/common';
import {
  AccessGuard,
  Public,
  RequireFreshSession,
  Roles,
  SessionCrossSiteException,
  SessionForbiddenException,
  SessionNotFreshException,
  SessionUnauthorizedException,
  type CookieRequest,
  type SessionCredential,
} from 'nest-redis-sessions';
import {
  ACCESS_COOKIE,
  FOREIGN_SITE,
  GARBAGE_TOKEN,
  SAME_SITE,
  cookies,
  expectRefused,
  guardModule,
  httpContext,
  httpRequest,
  type GuardModule,
} from '../support/guards.js';

/** An app's controller: its handlers' metadata is what the guard reads. */
class AccountController {
  profile(): void {}
  @Public() health(): void {}
  @Roles('admin') users(): void {}
  @RequireFreshSession('5m') changeEmail(): void {}
}

@Public()
class OpenController {
  page(): void {}
  @RequireFreshSession('5m') deleteAccount(): void {}
}

/** Reads the access token from `X-Session-Token`, a header no browser sends by itself. */
@Injectable()
class SessionHeaderGuard extends AccessGuard {
  protected override extractToken(request: CookieRequest): SessionCredential | undefined {
    const token = request.headers['x-session-token'];
    return typeof token === 'string' ? { token, source: 'header' } : undefined;
  }
}

/** Reads the access token from a cookie of its own, and says so: it gets the same-site rule. */
@Injectable()
class OwnCookieGuard extends AccessGuard {
  protected override extractToken(request: CookieRequest): SessionCredential | undefined {
    const token = /(?:^|; )sid=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
    return token ? { token, source: 'cookie' } : undefined;
  }
}

const MINUTE = 60_000;

describe('AccessGuard', () => {
  let kit: GuardModule;
  let guard: AccessGuard;

  beforeAll(async () => {
    kit = await guardModule({}, [SessionHeaderGuard, OwnCookieGuard]);
    guard = kit.moduleRef.get(AccessGuard);
  });
  afterAll(async () => kit.moduleRef.close());

  it('lets a live session in with its Bearer token and gives the principal the store holds', async () => {
    const session = await kit.login({ id: 'alice', role: 'user', claims: { plan: 'free' } });
    // Changed after the token was signed: the guard reports the store, not the token.
    await kit.sessions.updateClaims(
      { sessionId: session.sessionId },
      { role: 'admin', claims: { plan: 'pro' } },
    );
    const authenticatedAt = Date.now() - 2 * MINUTE;
    await kit.store.markFresh(session.sessionId, authenticatedAt, Date.now());
    const request = httpRequest('GET', { authorization: `Bearer ${session.accessToken}` });

    await expect(
      guard.canActivate(httpContext(request, AccountController, 'profile')),
    ).resolves.toBe(true);
    expect(request.user).toEqual({
      userId: 'alice',
      sessionId: session.sessionId,
      role: 'admin',
      claims: { plan: 'pro' },
      accessTokenExpiresAt: session.accessTokenExpiresAt,
      authenticatedAt: new Date(authenticatedAt),
    });
  });

  it('lets a GET in with the access cookie', async () => {
    const session = await kit.login({ id: 'bob' });
    const request = httpRequest('GET', {
      cookie: cookies({ [ACCESS_COOKIE]: session.accessToken }),
      origin: FOREIGN_SITE,
    });

    await expect(
      guard.canActivate(httpContext(request, AccountController, 'profile')),
    ).resolves.toBe(true);
    expect(request.user).toMatchObject({ userId: 'bob', sessionId: session.sessionId });
  });

  it('refuses a cookie-authenticated write from another site (403) before looking at the token', async () => {
    const context = (origin: string, token: string) =>
      httpContext(
        httpRequest('POST', { cookie: cookies({ [ACCESS_COOKIE]: token }), origin }),
        AccountController,
        'profile',
      );
    const session = await kit.login({ id: 'carol' });

    await expectRefused(
      () => guard.canActivate(context(FOREIGN_SITE, GARBAGE_TOKEN)),
      SessionCrossSiteException,
      403,
    );
    await expectRefused(
      () => guard.canActivate(context(FOREIGN_SITE, session.accessToken)),
      SessionCrossSiteException,
      403,
    );
    // The same garbage token from the request's own site is looked at, and refused as such.
    await expectRefused(
      () => guard.canActivate(context(SAME_SITE, GARBAGE_TOKEN)),
      SessionUnauthorizedException,
      401,
    );
    await expect(guard.canActivate(context(SAME_SITE, session.accessToken))).resolves.toBe(true);
  });

  it('lets a Bearer write from another site in (no cookie, so no cross-site check)', async () => {
    const session = await kit.login({ id: 'dave' });
    const request = httpRequest('POST', {
      authorization: `Bearer ${session.accessToken}`,
      origin: FOREIGN_SITE,
    });

    await expect(
      guard.canActivate(httpContext(request, AccountController, 'profile')),
    ).resolves.toBe(true);
    expect(request.user).toMatchObject({ userId: 'dave' });
  });

  it('reads only the Authorization header when there is one: Basic with a valid cookie is 401', async () => {
    const session = await kit.login({ id: 'erin' });
    const request = httpRequest('GET', {
      authorization: 'Basic ZXJpbjpodW50ZXIy',
      cookie: cookies({ [ACCESS_COOKIE]: session.accessToken }),
    });

    await expectRefused(
      () => guard.canActivate(httpContext(request, AccountController, 'profile')),
      SessionUnauthorizedException,
      401,
    );
    expect(request.user).toBeUndefined();
  });

  it('refuses the token of a revoked session (401)', async () => {
    const session = await kit.login({ id: 'frank' });
    await kit.sessions.revoke(session.sessionId);
    const request = httpRequest('GET', { authorization: `Bearer ${session.accessToken}` });

    await expectRefused(
      () => guard.canActivate(httpContext(request, AccountController, 'profile')),
      SessionUnauthorizedException,
      401,
    );
  });

  it('refuses a request without a token (401)', async () => {
    await expectRefused(
      () => guard.canActivate(httpContext(httpRequest('GET'), AccountController, 'profile')),
      SessionUnauthorizedException,
      401,
    );
  });

  it('lets a request without a token reach a @Public() handler or a handler of a @Public() controller', async () => {
    await expect(
      guard.canActivate(httpContext(httpRequest('GET'), AccountController, 'health')),
    ).resolves.toBe(true);
    await expect(
      guard.canActivate(httpContext(httpRequest('GET'), OpenController, 'page')),
    ).resolves.toBe(true);
  });

  it('keeps a @RequireFreshSession() handler of a @Public() controller closed', async () => {
    await expectRefused(
      () => guard.canActivate(httpContext(httpRequest('GET'), OpenController, 'deleteAccount')),
      SessionUnauthorizedException,
      401,
    );
  });

  it('refuses a role that @Roles() does not list (403) and lets a listed one in', async () => {
    const user = await kit.login({ id: 'gina', role: 'user' });
    const admin = await kit.login({ id: 'hank', role: 'admin' });
    const context = (token: string) =>
      httpContext(
        httpRequest('GET', { authorization: `Bearer ${token}` }),
        AccountController,
        'users',
      );

    await expectRefused(
      () => guard.canActivate(context(user.accessToken)),
      SessionForbiddenException,
      403,
    );
    await expect(guard.canActivate(context(admin.accessToken))).resolves.toBe(true);
  });

  it('refuses a session whose last credential check is older than @RequireFreshSession() allows (403)', async () => {
    const session = await kit.login({ id: 'ivan' });
    const context = () =>
      httpContext(
        httpRequest('POST', { authorization: `Bearer ${session.accessToken}` }),
        AccountController,
        'changeEmail',
      );
    // Just logged in: fresh.
    await expect(guard.canActivate(context())).resolves.toBe(true);

    await kit.store.markFresh(session.sessionId, Date.now() - 6 * MINUTE, Date.now());
    await expectRefused(() => guard.canActivate(context()), SessionNotFreshException, 403);

    // The password typed again (SessionService.markFresh): fresh again.
    await kit.sessions.markFresh(session.sessionId);
    await expect(guard.canActivate(context())).resolves.toBe(true);
  });

  describe('extended with its own extractToken', () => {
    it('takes a token from a header of its own, from any site', async () => {
      const session = await kit.login({ id: 'jane' });
      const headerGuard = kit.moduleRef.get(SessionHeaderGuard);
      const request = httpRequest('POST', {
        'x-session-token': session.accessToken,
        origin: FOREIGN_SITE,
      });

      await expect(
        headerGuard.canActivate(httpContext(request, AccountController, 'profile')),
      ).resolves.toBe(true);
      expect(request.user).toMatchObject({ userId: 'jane', sessionId: session.sessionId });
    });

    it('applies the same-site rule to a token it says came from a cookie', async () => {
      const session = await kit.login({ id: 'kate' });
      const cookieGuard = kit.moduleRef.get(OwnCookieGuard);
      const context = (origin: string) =>
        httpContext(
          httpRequest('POST', { cookie: `sid=${session.accessToken}`, origin }),
          AccountController,
          'profile',
        );

      await expectRefused(
        () => cookieGuard.canActivate(context(FOREIGN_SITE)),
        SessionCrossSiteException,
        403,
      );
      await expect(cookieGuard.canActivate(context(SAME_SITE))).resolves.toBe(true);
    });
  });
});
