// The README's "Testing your app" example, run as it is written there.
import { Controller, Get, Module, UseGuards, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import {
  AccessGuard,
  CurrentUser,
  Roles,
  RolesGuard,
  SessionModule,
  type CurrentUserInfo,
} from 'nest-redis-sessions';
import { SessionTestingHelper } from 'nest-redis-sessions/testing';

// --- the app's own code -------------------------------------------------------------------
@Controller('orders')
@UseGuards(AccessGuard, RolesGuard)
class OrdersController {
  @Get()
  @Roles('admin')
  list(@CurrentUser() user: CurrentUserInfo) {
    return { orders: [], viewer: user.id };
  }
}

@Module({ controllers: [OrdersController] })
class OrdersModule {}

// --- its test -----------------------------------------------------------------------------
describe('OrdersController', () => {
  let app: INestApplication;
  let sessions: SessionTestingHelper;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [SessionModule.forTesting(), OrdersModule],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    sessions = moduleRef.get(SessionTestingHelper);
  });
  afterAll(async () => app.close());

  it('lists orders for an admin', async () => {
    const admin = await sessions.login({ id: 'u1', role: 'admin' });
    await request(app.getHttpServer())
      .get('/orders')
      .set('Authorization', admin.authorization)
      .expect(200, { orders: [], viewer: 'u1' });
  });

  it('refuses other roles (403) and anonymous callers (401)', async () => {
    const user = await sessions.login({ id: 'u2', role: 'user' });
    await request(app.getHttpServer())
      .get('/orders')
      .set('Authorization', user.authorization)
      .expect(403);
    await request(app.getHttpServer()).get('/orders').expect(401);
  });

  it('accepts the session cookie too, and refuses a session once revoked', async () => {
    const admin = await sessions.login({ id: 'u3', role: 'admin' });
    await request(app.getHttpServer()).get('/orders').set('Cookie', admin.cookie).expect(200);
    await request(app.getHttpServer())
      .post('/auth/logout')
      .set('Authorization', admin.authorization)
      .expect(204);
    await request(app.getHttpServer()).get('/orders').set('Cookie', admin.cookie).expect(401);
  });
});

describe('SessionModule.forTesting(overrides)', () => {
  it('merges overrides, and the helper builds the cookie header with the configured names', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        SessionModule.forTesting({ cookies: { prefix: true }, routes: false }),
        OrdersModule,
      ],
    }).compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    try {
      const admin = await moduleRef.get(SessionTestingHelper).login({ id: 'u4', role: 'admin' });
      expect(admin.cookie).toMatch(/^__Host-access_token=.+; __Secure-refresh_token=.+$/);
      await request(app.getHttpServer()).get('/orders').set('Cookie', admin.cookie).expect(200);
      await request(app.getHttpServer()).post('/auth/logout').expect(404); // routes: false
    } finally {
      await app.close();
    }
  });
});
