import type { INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { MemorySessionRepository, SessionModule } from 'nest-redis-sessions';
import { cookieHeader, testOptions, TestAppController } from '../support/session-app.js';

/**
 * A first check of the Fastify adapter (issue 5 asks for the whole e2e suite on both adapters):
 * the guards, cookies, AuthController, errors and the cross-site check, without cookie-parser.
 */
describe('on Fastify', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SessionModule.forRoot(testOptions({ repository: new MemorySessionRepository() }))],
      controllers: [TestAppController],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      logger: false,
    });
    await app.init();
    await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
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
});
