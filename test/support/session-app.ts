import { Controller, Get, Module, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  AccessGuard,
  CurrentSession,
  SessionModule,
  SessionService,
  type CookieRequest,
  type CookieResponse,
  type SessionModuleExtras,
  type SessionModuleOptions,
  type SessionPrincipal,
} from 'nest-redis-sessions';

export const ACCESS_SECRET = 'test-access-secret-0123456789-abcdefghijklmnop';
export const REFRESH_SECRET = 'test-refresh-secret-0123456789-abcdefghijklmnop';

/** Module options for tests: real secrets, insecure cookies (supertest speaks plain http). */
export function testOptions(overrides: Partial<SessionModuleOptions> = {}): SessionModuleOptions {
  return {
    accessToken: { secret: ACCESS_SECRET },
    refreshToken: { secret: REFRESH_SECRET },
    cookies: { secure: false },
    ...overrides,
  };
}

/** A login route for any user id given in the query (tests only), and a guarded `GET /me`. */
@Controller()
export class TestAppController {
  constructor(private readonly sessions: SessionService) {}

  @Post('login')
  async login(
    @Req() request: CookieRequest & { query: { user?: string; role?: string } },
    @Res({ passthrough: true }) response: CookieResponse,
  ) {
    const issued = await this.sessions.create(
      { id: request.query.user ?? 'alice', role: request.query.role },
      { request, response },
    );
    return {
      accessToken: issued.accessToken,
      refreshToken: issued.refreshToken,
      sessionId: issued.sessionId,
    };
  }

  @Get('me')
  @UseGuards(AccessGuard)
  me(@CurrentSession() session: SessionPrincipal) {
    return { userId: session.userId, sessionId: session.sessionId, role: session.role ?? null };
  }
}

/** Starts an app with `SessionModule.forRoot(options)` and the test controller. */
export async function createTestApp(
  options: SessionModuleOptions,
  extras: SessionModuleExtras = {},
): Promise<INestApplication> {
  @Module({
    imports: [SessionModule.forRoot({ ...options, ...extras })],
    controllers: [TestAppController],
  })
  class TestAppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [TestAppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

/** The `name=value` pairs of a response's Set-Cookie headers, as a Cookie request header. */
export function cookieHeader(setCookie: string[] | string | undefined): string {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  return list
    .map((c) => c.split(';')[0])
    .filter((pair) => !pair.endsWith('='))
    .join('; ');
}

/** One cookie's value from Set-Cookie headers. */
export function cookieValue(
  setCookie: string[] | string | undefined,
  name: string,
): string | undefined {
  const list = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const line = list.find((c) => c.startsWith(`${name}=`));
  return line?.split(';')[0].slice(name.length + 1);
}
