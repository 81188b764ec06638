/* global fetch */
// A minimal app on the BUILT package (`nest-redis-sessions` resolves to dist/ through the
// package's own `exports`), written in plain JavaScript so that it needs no compiler: decorators
// are applied by hand. It logs in, calls a guarded route with the bearer token, refreshes with
// the cookie, lists the sessions and logs out over real HTTP, then tries the optional subpaths
// and peers, and prints one `RESULT <json>` line. Env: REDIS_URL, REDIS_KEY_PREFIX,
// ACCESS_SECRET, REFRESH_SECRET, LOAD_WITH (`import`, the default: the ESM build in dist/; or
// `require`: the CommonJS build in dist/cjs/, the subpaths and peers required too) and
// BLOCKED_PACKAGES for block-peers.mjs.
import 'reflect-metadata';
import { Controller, Get, Inject, Module, Post, Req, Res, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const withRequire = process.env.LOAD_WITH === 'require';
/** `specifier` loaded the way LOAD_WITH says. */
const load = (specifier) => (withRequire ? require(specifier) : import(specifier));
const { AccessGuard, CurrentSession, SessionModule, SessionService } =
  await load('nest-redis-sessions');

class LoginController {
  constructor(sessions) {
    this.sessions = sessions;
  }
  async login(request, response) {
    const issued = await this.sessions.create({ id: 'alice', role: 'user' }, { request, response });
    return { accessToken: issued.accessToken, sessionId: issued.sessionId };
  }
  me(session) {
    return { userId: session.userId, sessionId: session.sessionId };
  }
}
Inject(SessionService)(LoginController, undefined, 0);
const route = (name, ...decorators) => {
  const descriptor = Object.getOwnPropertyDescriptor(LoginController.prototype, name);
  for (const decorate of decorators) decorate(LoginController.prototype, name, descriptor);
};
route('login', Post('login'));
Req()(LoginController.prototype, 'login', 0);
Res({ passthrough: true })(LoginController.prototype, 'login', 1);
route('me', Get('me'), UseGuards(AccessGuard));
CurrentSession()(LoginController.prototype, 'me', 0);
Controller()(LoginController);

class AppModule {}
Module({
  imports: [
    SessionModule.forRoot({
      accessToken: { secret: process.env.ACCESS_SECRET },
      refreshToken: { secret: process.env.REFRESH_SECRET },
      redis: { url: process.env.REDIS_URL, keyPrefix: process.env.REDIS_KEY_PREFIX },
      cookies: { secure: false },
    }),
  ],
  controllers: [LoginController],
})(AppModule);

/** What loading `specifier` gives: `ok`, or the error's code and message. */
async function tryImport(specifier) {
  try {
    await load(specifier);
    return { ok: true };
  } catch (error) {
    return { ok: false, code: error.code, message: error.message };
  }
}

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.listen(0, '127.0.0.1');
const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
const result = { cjsBuildLoaded: cjsBuildLoaded() };
try {
  const login = await fetch(`${base}/login`, { method: 'POST' });
  const tokens = await login.json();
  result.login = login.status;
  const refreshCookie = login.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .find((c) => c.startsWith('refresh_token='));
  const bearer = { authorization: `Bearer ${tokens.accessToken}` };
  const me = await fetch(`${base}/me`, { headers: bearer });
  result.me = { status: me.status, body: await me.json() };
  result.meWithoutToken = (await fetch(`${base}/me`)).status;
  const refreshed = await fetch(`${base}/auth/refresh`, {
    method: 'POST',
    headers: { cookie: refreshCookie ?? '' },
  });
  const renewed = await refreshed.json();
  result.refresh = {
    status: refreshed.status,
    sameSession: typeof renewed.sessionId === 'string' && renewed.sessionId === tokens.sessionId,
  };
  const list = await fetch(`${base}/auth/sessions`, {
    headers: { authorization: `Bearer ${renewed.accessToken}` },
  });
  result.sessions = { status: list.status, count: (await list.json()).sessions?.length };
  const logout = await fetch(`${base}/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${renewed.accessToken}` },
  });
  result.logout = logout.status;
  result.afterLogout = (
    await fetch(`${base}/me`, { headers: { authorization: `Bearer ${renewed.accessToken}` } })
  ).status;
} finally {
  await app.close();
}
result.imports = {};
for (const specifier of [
  'nest-redis-sessions/health',
  'nest-redis-sessions/openapi',
  'nest-redis-sessions/passport',
  'nest-redis-sessions/testing',
  'nest-redis-sessions/ws',
  '@nestjs/terminus',
  '@nestjs/swagger',
  '@nestjs/passport',
]) {
  result.imports[specifier] = await tryImport(specifier);
}
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);

/** Whether this process loaded the package's CommonJS build (dist/cjs/index.js). */
function cjsBuildLoaded() {
  return require.resolve('nest-redis-sessions') in require.cache;
}
