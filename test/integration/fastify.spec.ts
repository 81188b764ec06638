import fastifyCookie from '@fastify/cookie';
import { Controller, Post, Res, type INestApplication } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { FastifyReply } from 'fastify';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  MemorySessionRepository,
  SafeErrorFilter,
  SessionModule,
  SessionService,
} from 'nest-redis-sessions';
import { cookieHeader, testOptions, TestAppController } from '../support/session-app.js';
import { SessionPassportModule } from 'nest-redis-sessions/passport';
import { PassportTestController } from '../support/passport-test.controller.js';

/** A login that also sets a cookie of the app's own through @fastify/cookie's `setCookie`. */
@Controller('themed')
class ThemedLoginController {
  constructor(private readonly sessions: SessionService) {}

  @Post('login')
  async login(@Res({ passthrough: true }) reply: FastifyReply) {
    reply.setCookie('theme', 'dark', { path: '/', sameSite: 'lax' });
    const issued = await this.sessions.create({ id: 'themed' }, { response: reply });
    return { sessionId: issued.sessionId };
  }
}

async function createFastifyApp(withCookiePlugin: boolean): Promise<NestFastifyApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      SessionModule.forRoot(testOptions({ repository: new MemorySessionRepository() })),
      SessionPassportModule,
    ],
    controllers: [
      TestAppController,
      PassportTestController,
      ...(withCookiePlugin ? [ThemedLoginController] : []),
    ],
    providers: [{ provide: APP_FILTER, useClass: SafeErrorFilter }],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
    logger: false,
  });
  if (withCookiePlugin) await app.register(fastifyCookie);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

/** A GET with the given header lines exactly (repeated names included), over node:http. */
async function getWithHeaderLines(
  app: INestApplication,
  path: string,
  lines: string[],
): Promise<{ status: number; body: unknown }> {
  const server = app.getHttpServer() as Server;
  if (!server.listening) await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, headers: ['Host', `127.0.0.1:${port}`, ...lines] },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * The module on Fastify, bare and with @fastify/cookie registered (the plugin parses cookies
 * into `request.cookies`, which the module does not read, and writes its own Set-Cookie values
 * in an onSend hook). The whole e2e suite also runs on Fastify through the sample app.
 */
describe.each([
  ['without @fastify/cookie', false],
  ['with @fastify/cookie', true],
])('on Fastify %s', (_case, withCookiePlugin) => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createFastifyApp(withCookiePlugin);
  });
  afterAll(async () => app.close());

  it('logs in with cookies, authenticates by bearer and cookie, refreshes, and logs out', async () => {
    const server = app.getHttpServer();
    const login = await request(server).post('/login?user=fastify-user').expect(201);
    const setCookie = login.headers['set-cookie'] as unknown as string[];
    expect(setCookie.map((c) => c.split('=')[0]).sort()).toEqual(['access_token', 'refresh_token']);
    expect(setCookie.find((c) => c.startsWith('refresh_token='))).toMatch(
      /Path=\/auth; HttpOnly; SameSite=Strict/,
    );
    const jar = cookieHeader(setCookie);

    await request(server)
      .get('/me')
      .set('Authorization', `Bearer ${login.body.accessToken}`)
      .expect(200, { userId: 'fastify-user', sessionId: login.body.sessionId, role: null });
    await request(server).get('/me').set('Cookie', jar).expect(200);

    const refreshed = await request(server).post('/auth/refresh').set('Cookie', jar).expect(200);
    expect(refreshed.body.sessionId).toBe(login.body.sessionId);
    const sessions = await request(server).get('/auth/sessions').set('Cookie', jar).expect(200);
    expect(sessions.body.sessions).toHaveLength(1);

    const logout = await request(server)
      .post('/auth/logout')
      .set('Cookie', cookieHeader(refreshed.headers['set-cookie']))
      .expect(204);
    expect((logout.headers['set-cookie'] as unknown as string[]).join()).toContain('Max-Age=0');
    await request(server)
      .get('/me')
      .set('Authorization', `Bearer ${login.body.accessToken}`)
      .expect(401, { statusCode: 401, message: 'Unauthorized' });
  });

  it('refuses a cookie-authenticated write from another site with 403', async () => {
    const server = app.getHttpServer();
    const login = await request(server).post('/login?user=fastify-user').expect(201);
    const res = await request(server)
      .post('/auth/refresh')
      .set('Cookie', cookieHeader(login.headers['set-cookie']))
      .set('Origin', 'https://evil.example');
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ statusCode: 403, message: 'Cross-site request refused' });
  });

  it('refuses an access cookie sent twice, though the plugin would keep one of them', async () => {
    const server = app.getHttpServer();
    const a = await request(server).post('/login?user=a').expect(201);
    const b = await request(server).post('/login?user=b').expect(201);
    await request(server)
      .get('/me')
      .set('Cookie', `access_token=${a.body.accessToken}; access_token=${b.body.accessToken}`)
      .expect(401, { statusCode: 401, message: 'Unauthorized' });
  });

  it.each(['/me', '/passport/me'])(
    'refuses two Authorization lines on %s (Node keeps only the first in headers)',
    async (path) => {
      const server = app.getHttpServer();
      const a = await request(server).post('/login?user=a').expect(201);
      const b = await request(server).post('/login?user=b').expect(201);
      const auth = (token: string) => ['Authorization', `Bearer ${token}`];
      await request(server)
        .get(path)
        .set('Authorization', `Bearer ${a.body.accessToken}`)
        .expect(200);
      const res = await getWithHeaderLines(app, path, [
        ...auth(a.body.accessToken),
        ...auth(b.body.accessToken),
      ]);
      expect(res).toEqual({ status: 401, body: { statusCode: 401, message: 'Unauthorized' } });
    },
  );

  it('lets PassportAccessGuard through with a Bearer token or the access cookie', async () => {
    const server = app.getHttpServer();
    const login = await request(server).post('/login?user=composer').expect(201);
    const expected = { userId: 'composer', sessionId: login.body.sessionId };
    await request(server)
      .get('/passport/me')
      .set('Authorization', `Bearer ${login.body.accessToken}`)
      .expect(200, expected);
    await request(server)
      .get('/passport/me')
      .set('Cookie', cookieHeader(login.headers['set-cookie']))
      .expect(200, expected);
  });

  it.each([
    ['malformed JSON', '{"refreshToken":"secret-refresh-value'],
    ['an empty JSON body', ''],
  ])("answers %s with SafeErrorFilter's body, not Fastify's wording", async (_case, body) => {
    const res = await request(app.getHttpServer())
      .post('/auth/refresh')
      .set('Content-Type', 'application/json')
      .send(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, message: 'Malformed JSON body' });
  });

  it("answers a body over Fastify's limit (1 MiB) with 413 and the status text", async () => {
    const res = await request(app.getHttpServer())
      .post('/auth/refresh')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ refreshToken: 'x'.repeat(1_100_000) }));
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ statusCode: 413, message: 'Payload Too Large' });
  });
});

describe('on Fastify with @fastify/cookie: cookies of the app and of the module together', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createFastifyApp(true);
  });
  afterAll(async () => app.close());

  it("keeps the app's reply.setCookie() value and both session cookies, each once", async () => {
    const res = await request(app.getHttpServer()).post('/themed/login').expect(201);
    const setCookie = res.headers['set-cookie'] as unknown as string[];
    expect(setCookie.map((c) => c.split('=')[0]).sort()).toEqual([
      'access_token',
      'refresh_token',
      'theme',
    ]);
    expect(setCookie.find((c) => c.startsWith('theme='))).toBe('theme=dark; Path=/; SameSite=Lax');
    await request(app.getHttpServer())
      .get('/me')
      .set('Cookie', cookieHeader(setCookie))
      .expect(200, { userId: 'themed', sessionId: res.body.sessionId, role: null });
  });
});
