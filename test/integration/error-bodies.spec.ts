import { Module, type INestApplication } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  MemorySessionRepository,
  SafeErrorFilter,
  SessionModule,
  SessionService,
} from 'nest-redis-sessions';
import { cookieHeader, createTestApp, testOptions } from '../support/session-app.js';

const TOKEN_LIKE = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNlY3JldA';

describe('error bodies', () => {
  describe("the library's own errors, with no filter installed", () => {
    let app: INestApplication;
    beforeAll(async () => {
      app = await createTestApp(
        testOptions({ repository: new MemorySessionRepository(), allowedOrigins: [] }),
      );
    });
    afterAll(async () => app.close());

    it('are exactly { statusCode, message } for 401, 403 and 404', async () => {
      const server = app.getHttpServer();
      const unauthorized = await request(server).get('/me');
      expect(unauthorized.status).toBe(401);
      expect(unauthorized.body).toEqual({ statusCode: 401, message: 'Unauthorized' });

      const login = await request(server).post('/login').expect(201);
      const cookies = cookieHeader(login.headers['set-cookie']);
      const crossSite = await request(server)
        .post('/auth/refresh')
        .set('Cookie', cookies)
        .set('Origin', 'https://evil.example');
      expect(crossSite.status).toBe(403);
      expect(crossSite.body).toEqual({ statusCode: 403, message: 'Cross-site request refused' });

      const notFound = await request(server)
        .delete('/auth/sessions/unknown')
        .set('Authorization', `Bearer ${login.body.accessToken}`);
      expect(notFound.status).toBe(404);
      expect(notFound.body).toEqual({ statusCode: 404, message: 'Session not found' });
    });

    it('are the same 401 for a missing, forged and revoked token', async () => {
      const server = app.getHttpServer();
      const sessions = app.get(SessionService);
      const login = await sessions.create({ id: 'same-answer' });
      await sessions.revoke(login.sessionId);
      const [parts0, parts1] = login.accessToken.split('.');
      const answers = await Promise.all([
        request(server).get('/me'),
        request(server).get('/me').set('Authorization', `Bearer ${parts0}.${parts1}.forged`),
        request(server).get('/me').set('Authorization', `Bearer ${login.accessToken}`),
      ]);
      for (const answer of answers) {
        expect(answer.status).toBe(401);
        expect(answer.text).toBe(JSON.stringify({ statusCode: 401, message: 'Unauthorized' }));
      }
    });
  });

  describe('SafeErrorFilter', () => {
    let app: INestApplication;
    beforeAll(async () => {
      @Module({
        imports: [
          SessionModule.forRoot(
            testOptions({
              repository: new MemorySessionRepository(),
              refreshToken: { secret: testOptions().refreshToken.secret, acceptFromBody: true },
            }),
          ),
        ],
        providers: [{ provide: APP_FILTER, useClass: SafeErrorFilter }],
      })
      class FilteredModule {}
      const moduleRef = await Test.createTestingModule({ imports: [FilteredModule] }).compile();
      app = moduleRef.createNestApplication({ logger: false });
      await app.init();
    });
    afterAll(async () => app.close());

    it('answers malformed JSON without quoting the body (which may hold a token)', async () => {
      const res = await request(app.getHttpServer())
        .post('/auth/refresh')
        .set('Content-Type', 'application/json')
        .send(`{"refreshToken":"${TOKEN_LIKE}"`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, message: 'Malformed JSON body' });
      expect(res.text).not.toContain(TOKEN_LIKE.slice(0, 12));
    });

    it('answers a bad percent-encoding in a path parameter with a clean 400', async () => {
      const res = await request(app.getHttpServer()).delete('/auth/sessions/%E0%A4%A');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, message: 'Malformed URL' });
    });

    it('answers body-parser errors with a fixed message, not the charset the client sent', async () => {
      const res = await request(app.getHttpServer())
        .post('/auth/refresh')
        .set('Content-Type', 'application/json; charset=x-evil-charset')
        .send('{}');
      expect(res.status).toBe(415);
      expect(res.body).toEqual({ statusCode: 415, message: 'Unsupported Media Type' });
    });

    it('strips the query string Nest puts in a 404 message', async () => {
      const res = await request(app.getHttpServer()).get(`/nowhere?access_token=${TOKEN_LIKE}`);
      expect(res.body).toEqual({ statusCode: 404, message: 'Cannot GET /nowhere' });
    });

    it("drops Nest's extra `error` field from built-in exceptions", async () => {
      const res = await request(app.getHttpServer()).get('/nowhere');
      expect(res.status).toBe(404);
      expect(Object.keys(res.body).sort()).toEqual(['message', 'statusCode']);
    });
  });
});
