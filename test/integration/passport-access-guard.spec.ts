import {
  Controller,
  Get,
  Injectable,
  Module,
  Post,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import passport from 'passport';
import { Test } from '@nestjs/testing';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { MemorySessionRepository, SessionModule, SessionService } from 'nest-redis-sessions';
import { SessionPassportModule, SessionPassportStrategy } from 'nest-redis-sessions/passport';
import { ACCESS_SECRET, testOptions } from '../support/session-app.js';
import { PassportTestController } from '../support/passport-test.controller.js';

/** An app's own strategy to compose with: a fixed API key in `x-api-key`. */
class ApiKeyStrategy extends passport.Strategy {
  override name = 'test-api-key';
  override authenticate(request: { headers: Record<string, unknown> }): void {
    if (request.headers['x-api-key'] === 'test-key') this.success({ apiKey: true });
    else this.fail(401);
  }
}
passport.use(new ApiKeyStrategy());

/** A guard of the app that accepts a session or the API key, the session strategy first. */
@Injectable()
class SessionOrApiKeyGuard extends AuthGuard() {
  constructor(strategy: SessionPassportStrategy) {
    super({ defaultStrategy: [strategy.name, 'test-api-key'], session: false });
  }
}

@Controller('composed')
@UseGuards(SessionOrApiKeyGuard)
class ComposedController {
  @Get()
  read() {
    return { ok: true };
  }

  @Post()
  write() {
    return { ok: true };
  }
}

/** The passport strategy and guard give the same answers as AccessGuard. */
describe('PassportAccessGuard', () => {
  let app: INestApplication;
  let sessions: SessionService;

  beforeAll(async () => {
    @Module({
      imports: [
        SessionModule.forRoot(testOptions({ repository: new MemorySessionRepository() })),
        SessionPassportModule,
      ],
      controllers: [PassportTestController, ComposedController],
      providers: [SessionOrApiKeyGuard],
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

  describe('composed with another strategy', () => {
    const composed = () => request(app.getHttpServer()).get('/composed');

    it('lets a live session through, the session strategy listed first', async () => {
      const login = await sessions.create({ id: 'composer' });
      await composed().set('Authorization', `Bearer ${login.accessToken}`).expect(200);
    });

    it('goes on to the next strategy when there is no session token', async () => {
      await composed().set('x-api-key', 'test-key').expect(200);
      await composed()
        .set('Authorization', 'Bearer not.a.token')
        .set('x-api-key', 'test-key')
        .expect(200);
    });

    it('refuses with one 401 when no strategy accepts', async () => {
      const res = await composed().set('x-api-key', 'wrong');
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ statusCode: 401 });
    });

    it('ends the chain with 403 for a cross-site cookie write, whatever comes after', async () => {
      const login = await sessions.create({ id: 'composer' });
      const res = await request(app.getHttpServer())
        .post('/composed')
        .set('Cookie', `access_token=${login.accessToken}`)
        .set('Origin', 'https://evil.example')
        .set('x-api-key', 'test-key');
      expect(res.status).toBe(403);
    });
  });
});
