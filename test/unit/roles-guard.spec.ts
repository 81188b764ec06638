import {
  Roles,
  RolesGuard,
  SessionForbiddenException,
  SessionUnauthorizedException,
  type SessionPrincipal,
} from 'nest-redis-sessions';
import {
  expectRefused,
  guardModule,
  httpContext,
  httpRequest,
  type GuardModule,
} from '../support/guards.js';

class ReportsController {
  list(): void {}
  @Roles('admin', 'auditor') export(): void {}
}

@Roles('admin')
class AdminController {
  settings(): void {}
  @Roles('support') tickets(): void {}
}

/** The same handler, inherited by controllers whose class-level @Roles() differ. */
class BaseReportsController {
  download(): void {}
}
@Roles('admin')
class AdminReportsController extends BaseReportsController {}
@Roles('auditor')
class AuditReportsController extends BaseReportsController {}

/** A request another guard has already authenticated (or not, without `role`). */
function requestAs(role?: string): ReturnType<typeof httpRequest> {
  const request = httpRequest('GET');
  if (role !== undefined) {
    const principal: SessionPrincipal = {
      userId: 'alice',
      sessionId: 'unused-by-this-guard',
      role,
      claims: {},
      accessTokenExpiresAt: new Date(Date.now() + 60_000),
    };
    request.user = principal;
  }
  return request;
}

describe('RolesGuard', () => {
  let kit: GuardModule;
  let guard: RolesGuard;

  beforeAll(async () => {
    kit = await guardModule();
    guard = kit.moduleRef.get(RolesGuard);
  });
  afterAll(async () => kit.moduleRef.close());

  it('lets every request reach a route without @Roles(), even one without a principal', () => {
    expect(guard.canActivate(httpContext(requestAs(), ReportsController, 'list'))).toBe(true);
  });

  it('refuses a route with @Roles() to a request no guard authenticated (401)', async () => {
    await expectRefused(
      () => guard.canActivate(httpContext(requestAs(), ReportsController, 'export')),
      SessionUnauthorizedException,
      401,
    );
  });

  it('refuses a role @Roles() does not list (403) and lets each listed one in', async () => {
    await expectRefused(
      () => guard.canActivate(httpContext(requestAs('user'), ReportsController, 'export')),
      SessionForbiddenException,
      403,
    );
    for (const role of ['admin', 'auditor']) {
      expect(guard.canActivate(httpContext(requestAs(role), ReportsController, 'export'))).toBe(
        true,
      );
    }
  });

  it("reads @Roles() from the controller, and a handler's own list replaces it", async () => {
    expect(guard.canActivate(httpContext(requestAs('admin'), AdminController, 'settings'))).toBe(
      true,
    );
    await expectRefused(
      () => guard.canActivate(httpContext(requestAs('support'), AdminController, 'settings')),
      SessionForbiddenException,
      403,
    );
    expect(guard.canActivate(httpContext(requestAs('support'), AdminController, 'tickets'))).toBe(
      true,
    );
    await expectRefused(
      () => guard.canActivate(httpContext(requestAs('admin'), AdminController, 'tickets')),
      SessionForbiddenException,
      403,
    );
  });

  it('keeps the rules of one inherited handler apart per controller (read once, kept per class)', async () => {
    for (let i = 0; i < 2; i += 1) {
      expect(
        guard.canActivate(httpContext(requestAs('admin'), AdminReportsController, 'download')),
      ).toBe(true);
      expect(
        guard.canActivate(httpContext(requestAs('auditor'), AuditReportsController, 'download')),
      ).toBe(true);
      await expectRefused(
        () =>
          guard.canActivate(httpContext(requestAs('admin'), AuditReportsController, 'download')),
        SessionForbiddenException,
        403,
      );
      expect(guard.canActivate(httpContext(requestAs(), BaseReportsController, 'download'))).toBe(
        true,
      );
    }
  });
});
