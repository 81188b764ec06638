/**
 * A CommonJS Nest 11 app on the packed package, run by `scripts/nest11-check.sh`: it copies this
 * file (and the Redis launcher) into a temporary folder holding Nest 11 and the package's tarball,
 * compiles it as a Nest 11 app is compiled (a `"type": "commonjs"` folder, so every import becomes
 * `require()`), and runs it. It logs in, calls a guarded route, refreshes, logs out over real HTTP
 * against real Redis, checks the `/health` and `/openapi` subpaths on terminus 11 and swagger 11,
 * and exits non-zero when any answer is not the expected one.
 */
import 'reflect-metadata';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Module,
  Post,
  Req,
  Res,
  UnauthorizedException,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import {
  AccessGuard,
  CurrentSession,
  SafeErrorFilter,
  SessionModule,
  SessionService,
  type CookieRequest,
  type CookieResponse,
  type SessionPrincipal,
} from 'nest-redis-sessions';
import { SessionHealthIndicator, SessionHealthModule } from 'nest-redis-sessions/health';
import { ApiSessionAuth, documentSessionRoutes } from 'nest-redis-sessions/openapi';
import { startRedisServer, type RedisServerHandle } from '../support/redis-server.js';

const PASSWORD = 'alice-password-1';

@Controller('auth')
class LoginController {
  constructor(private readonly sessions: SessionService) {}

  @Post('login')
  @HttpCode(200)
  async login(
    @Body() body: { username?: unknown; password?: unknown },
    @Req() request: CookieRequest,
    @Res({ passthrough: true }) response: CookieResponse,
  ) {
    if (body.username !== 'alice' || body.password !== PASSWORD) throw new UnauthorizedException();
    const session = await this.sessions.create(
      { id: 'alice', role: 'user' },
      { request, response },
    );
    return { accessToken: session.accessToken, sessionId: session.sessionId };
  }
}

@Controller('me')
class MeController {
  @Get()
  @UseGuards(AccessGuard)
  @ApiSessionAuth()
  me(@CurrentSession() session: SessionPrincipal) {
    return { userId: session.userId, sessionId: session.sessionId, role: session.role };
  }
}

/** The `/health` subpath's CommonJS build on `@nestjs/terminus` 11. */
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly sessions: SessionHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.sessions.isHealthy('sessions')]);
  }
}

function appModule(redisUrl: string, keyPrefix: string) {
  @Module({
    imports: [
      SessionModule.forRoot({
        accessToken: { secret: randomBytes(32).toString('base64url'), ttl: '5m' },
        refreshToken: { secret: randomBytes(32).toString('base64url'), ttl: '1h' },
        redis: { url: redisUrl, keyPrefix },
      }),
      SessionHealthModule,
    ],
    controllers: [LoginController, MeController, HealthController],
    providers: [{ provide: APP_FILTER, useClass: SafeErrorFilter }],
  })
  class AppModule {}
  return AppModule;
}

let failures = 0;
function check(what: string, ok: boolean, detail: unknown = ''): void {
  if (!ok) failures += 1;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${ok ? '' : ` (${JSON.stringify(detail)})`}`);
}

interface Answer {
  status: number;
  body: unknown;
  cookies: Map<string, string>;
}

async function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  const cookies = new Map<string, string>();
  for (const line of res.headers.getSetCookie()) {
    const pair = line.split(';', 1)[0] ?? '';
    const eq = pair.indexOf('=');
    cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body: parsed, cookies };
}

const JSON_TYPE = { 'Content-Type': 'application/json' };
const UNAUTHORIZED = JSON.stringify({ statusCode: 401, message: 'Unauthorized' });

function field(body: unknown, name: string): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : '';
}

/** The `/health` and `/openapi` subpaths' CommonJS builds, on terminus 11 and swagger 11. */
async function exerciseSubpaths(base: string, document: OpenAPIObject): Promise<void> {
  const health = await call(base, 'GET', '/health');
  check('GET /health (SessionHealthIndicator) answers 200', health.status === 200, health);
  check(
    'the health check reports the session store up',
    JSON.stringify(field(health.body, 'info')) === JSON.stringify({ sessions: { status: 'up' } }),
    health.body,
  );
  const schemes = Object.keys(document.components?.securitySchemes ?? {}).sort();
  check(
    'documentSessionRoutes() adds the three security schemes',
    JSON.stringify(schemes) ===
      JSON.stringify(['sessionAccessCookie', 'sessionBearer', 'sessionRefreshCookie']),
    schemes,
  );
  const refresh = document.paths['/auth/refresh']?.post;
  check('the document has POST /auth/refresh', refresh?.tags?.[0] === 'sessions', refresh);
  const me = document.paths['/me']?.get;
  check('@ApiSessionAuth() documents the 401 of GET /me', !!me?.responses['401'], me);
}

async function exercise(base: string): Promise<void> {
  const login = await call(
    base,
    'POST',
    '/auth/login',
    JSON_TYPE,
    JSON.stringify({ username: 'alice', password: PASSWORD }),
  );
  const accessToken = String(field(login.body, 'accessToken'));
  const sessionId = String(field(login.body, 'sessionId'));
  const refreshToken = login.cookies.get('refresh_token') ?? '';
  check('POST /auth/login answers 200', login.status === 200, login);
  check(
    'login returns an access token and sets the refresh cookie',
    !!accessToken && !!refreshToken,
  );

  const me = await call(base, 'GET', '/me', { Authorization: `Bearer ${accessToken}` });
  check('GET /me with the Bearer token answers 200', me.status === 200, me);
  check(
    'GET /me names the session',
    JSON.stringify(me.body) === JSON.stringify({ userId: 'alice', sessionId, role: 'user' }),
    me.body,
  );

  const anonymous = await call(base, 'GET', '/me');
  check('GET /me without a token answers 401', anonymous.status === 401, anonymous);
  check(
    'a 401 body is exactly { statusCode, message }',
    JSON.stringify(anonymous.body) === UNAUTHORIZED,
  );

  const refreshed = await call(base, 'POST', '/auth/refresh', {
    Cookie: `refresh_token=${refreshToken}`,
  });
  const newAccess = String(field(refreshed.body, 'accessToken'));
  const newRefresh = refreshed.cookies.get('refresh_token') ?? '';
  check('POST /auth/refresh with the cookie answers 200', refreshed.status === 200, refreshed);
  check('refresh keeps the session', field(refreshed.body, 'sessionId') === sessionId);
  check('refresh rotates both tokens', !!newAccess && !!newRefresh && newRefresh !== refreshToken);

  const meAgain = await call(base, 'GET', '/me', { Authorization: `Bearer ${newAccess}` });
  check('GET /me with the new access token answers 200', meAgain.status === 200, meAgain);

  const malformed = await call(base, 'POST', '/auth/login', JSON_TYPE, '"alice-password-1"');
  check(
    'a malformed JSON body answers 400 without echoing it',
    JSON.stringify(malformed.body) ===
      JSON.stringify({ statusCode: 400, message: 'Malformed JSON body' }),
    malformed.body,
  );

  const logout = await call(base, 'POST', '/auth/logout', {
    Authorization: `Bearer ${newAccess}`,
  });
  check('POST /auth/logout answers 204', logout.status === 204, logout);
  check('logout clears the refresh cookie', logout.cookies.get('refresh_token') === '');

  const after = await call(base, 'GET', '/me', { Authorization: `Bearer ${newAccess}` });
  check('GET /me after logout answers 401', after.status === 401, after);
  const refreshAfter = await call(base, 'POST', '/auth/refresh', {
    Cookie: `refresh_token=${newRefresh}`,
  });
  check('refresh after logout answers 401', refreshAfter.status === 401, refreshAfter);
}

/** This file runs as CommonJS, on Nest 11, with the package's `require` build. */
function checkModuleFormats(): void {
  const manifest = readFileSync(require.resolve('@nestjs/core/package.json'), 'utf8');
  const nest = (JSON.parse(manifest) as { version: string }).version;
  check(`runs on Nest 11 (@nestjs/core ${nest})`, nest.startsWith('11.'));
  check('runs as CommonJS', typeof module === 'object' && typeof exports === 'object');
  for (const [entry, file] of [
    ['nest-redis-sessions', '/dist/cjs/index.js'],
    ['nest-redis-sessions/health', '/dist/cjs/health/index.js'],
    ['nest-redis-sessions/openapi', '/dist/cjs/openapi/index.js'],
  ] as const) {
    const resolved = require.resolve(entry).replaceAll('\\', '/');
    check(`require('${entry}') loads the CommonJS build`, resolved.endsWith(file), resolved);
  }
}

async function main(): Promise<void> {
  checkModuleFormats();
  let redis: RedisServerHandle | undefined;
  let app: INestApplication | undefined;
  try {
    const url = process.env.REDIS_URL ?? (redis = await startRedisServer()).url;
    const prefix = `nest11-cjs-${randomBytes(6).toString('hex')}:`;
    app = await NestFactory.create(appModule(url, prefix), { logger: ['error', 'warn'] });
    const builder = documentSessionRoutes(app, new DocumentBuilder().setTitle('nest11'));
    const document = SwaggerModule.createDocument(app, builder.build());
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    await exercise(`http://127.0.0.1:${port}`);
    await exerciseSubpaths(`http://127.0.0.1:${port}`, document);
  } finally {
    await app?.close();
    await redis?.stop();
  }
  if (failures > 0) {
    console.error(`${failures} check(s) failed`);
    process.exit(1);
  }
  console.log('the CommonJS Nest 11 app passed every check');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
