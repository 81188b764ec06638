import { Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { MemorySessionRepository, SessionModule, SessionService } from 'nest-redis-sessions';
import { SessionPassportModule } from 'nest-redis-sessions/passport';
import { ACCESS_SECRET, testOptions } from '../support/session-app.js';
import { PassportTestController } from '../support/passport-test.controller.js';

/** The passport-jwt path gives the same answers as AccessGuard (kept for apps that compose it). */
describe('PassportAccessGuard', () => {
  let app: INestApplication;
  let sessions: SessionService;

  beforeAll(async () => {
    @Module({
      imports: [
        SessionModule.forRoot(testOptions({ repository: new MemorySessionRepository() })),
        SessionPassportModule,
      ],
      controllers: [PassportTestController],
    })
    class PassportModule {}
    const moduleRef = await Test.createTestingModule({ imports: [PassportModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    sessions = app.get(SessionService);
  });
  afterAll(async () => app.close());

  const me = (token: string) =>
    request(app.getHttpServer()).get('/passport/me').set('Authorization', `Bearer ${token}`);

  it('lets a genuine token of a live session through, with its principal', async () => {
    const login = await sessions.create({ id: 'composer' });
    const res = await me(login.accessToken).expect(200);
    expect(res.body).toEqual({ userId: 'composer', sessionId: login.sessionId });
  });

  it('refuses a revoked session, a forged signature and a pinned-out algorithm with one 401', async () => {
    const login = await sessions.create({ id: 'composer' });
    const claims = jwt.decode(login.accessToken) as jwt.JwtPayload;
    const hs384 = jwt.sign(claims, ACCESS_SECRET, {
      algorithm: 'HS384',
      header: { alg: 'HS384', typ: 'at+jwt' },
    });
    const [header, payload] = login.accessToken.split('.');
    for (const token of [hs384, `${header}.${payload}.forged`]) {
      const res = await me(token);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, message: 'Unauthorized' });
    }
    await sessions.revoke(login.sessionId);
    await me(login.accessToken).expect(401);
  });

  it('refuses a cookie-authenticated write from another site with 403', async () => {
    const login = await sessions.create({ id: 'composer' });
    const res = await request(app.getHttpServer())
      .post('/passport/write')
      .set('Cookie', `access_token=${login.accessToken}`)
      .set('Origin', 'https://evil.example');
    expect(res.status).toBe(403);
    await request(app.getHttpServer())
      .post('/passport/write')
      .set('Cookie', `access_token=${login.accessToken}`)
      .expect(201);
  });
});
