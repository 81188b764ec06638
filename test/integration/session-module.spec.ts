import { Controller, Get, Injectable, Module, UseGuards } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import request from 'supertest';
import {
  AccessGuard,
  CurrentUser,
  MemorySessionRepository,
  Public,
  SessionConfigError,
  SessionModule,
  SessionService,
  type CurrentUserInfo,
} from 'nest-redis-sessions';
import { SESSION_EXTRAS } from '../../src/config/config.tokens.js';
import { SESSION_REDIS } from '../../src/store/store.providers.js';
import { deleteByPrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import {
  ACCESS_SECRET,
  REFRESH_SECRET,
  cookieHeader,
  createTestApp,
  testOptions,
} from '../support/session-app.js';

/** Stands in for @nestjs/config's ConfigService: a provider the async factory injects. */
@Injectable()
class SettingsService {
  get(name: string): string {
    const values: Record<string, string> = {
      ACCESS_SECRET,
      REFRESH_SECRET,
      REDIS_URL: redisUrl(),
    };
    return values[name];
  }
}

@Module({ providers: [SettingsService], exports: [SettingsService] })
class SettingsModule {}

/** A feature module that does not import SessionModule: guards must resolve through the global module. */
@Controller('orders')
@UseGuards(AccessGuard)
class OrdersController {
  @Get()
  list(@CurrentUser() user: CurrentUserInfo) {
    return { owner: user.id };
  }
}
@Module({ controllers: [OrdersController] })
class OrdersModule {}

async function compile(imports: unknown[]): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: imports as never[],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('SessionModule configuration', () => {
  const prefix = uniquePrefix('module');
  afterAll(async () => {
    const client = new Redis(redisUrl());
    await deleteByPrefix(client, prefix);
    await client.quit();
  });

  it('forRootAsync builds options from an injected provider and is global by default', async () => {
    const app = await compile([
      SessionModule.forRootAsync({
        imports: [SettingsModule],
        inject: [SettingsService],
        useFactory: (settings: SettingsService) => ({
          accessToken: { secret: settings.get('ACCESS_SECRET') },
          refreshToken: { secret: settings.get('REFRESH_SECRET') },
          redis: { url: settings.get('REDIS_URL'), keyPrefix: prefix },
        }),
      }),
      OrdersModule,
    ]);
    try {
      const login = await app.get(SessionService).create({ id: 'buyer' });
      const res = await request(app.getHttpServer())
        .get('/orders')
        .set('Authorization', `Bearer ${login.accessToken}`)
        .expect(200);
      expect(res.body).toEqual({ owner: 'buyer' });
      await request(app.getHttpServer()).get('/orders').expect(401);
    } finally {
      await app.close();
    }
  });

  it('forRootAsync({ isGlobal: false }) is not visible to modules that do not import it', async () => {
    await expect(
      compile([
        SessionModule.forRootAsync({
          isGlobal: false,
          useFactory: () => testOptions({ repository: new MemorySessionRepository() }),
        }),
        OrdersModule,
      ]),
    ).rejects.toThrow(/AccessGuard|dependencies/);
  });

  it('works with AccessGuard as APP_GUARD and @Public() routes', async () => {
    @Controller()
    class MixedController {
      @Public()
      @Get('open')
      open() {
        return { ok: true };
      }
      @Get('closed')
      closed() {
        return { ok: true };
      }
    }
    @Module({
      imports: [SessionModule.forRoot(testOptions({ repository: new MemorySessionRepository() }))],
      controllers: [MixedController],
      providers: [{ provide: APP_GUARD, useExisting: AccessGuard }],
    })
    class GlobalGuardModule {}
    const app = await compile([GlobalGuardModule]);
    try {
      await request(app.getHttpServer()).get('/open').expect(200);
      await request(app.getHttpServer()).get('/closed').expect(401);
      const login = await app.get(SessionService).create({ id: 'u' });
      await request(app.getHttpServer())
        .get('/closed')
        .set('Authorization', `Bearer ${login.accessToken}`)
        .expect(200);
    } finally {
      await app.close();
    }
  });

  it('mounts the routes under a custom prefix and scopes the refresh cookie to it', async () => {
    const app = await createTestApp(testOptions({ repository: new MemorySessionRepository() }), {
      routes: { prefix: '/api/session/' },
    });
    try {
      const server = app.getHttpServer();
      const login = await request(server).post('/login').expect(201);
      const refreshCookie = (login.headers['set-cookie'] as unknown as string[]).find((c) =>
        c.startsWith('refresh_token='),
      );
      expect(refreshCookie).toContain('Path=/api/session;');
      await request(server)
        .post('/api/session/refresh')
        .set('Cookie', cookieHeader(login.headers['set-cookie']))
        .expect(200);
      await request(server).post('/auth/refresh').expect(404);
    } finally {
      await app.close();
    }
  });

  it('mounts no routes with routes: false', async () => {
    const app = await createTestApp(testOptions({ repository: new MemorySessionRepository() }), {
      routes: false,
    });
    try {
      await request(app.getHttpServer()).post('/auth/refresh').expect(404);
      await request(app.getHttpServer()).get('/auth/sessions').expect(404);
    } finally {
      await app.close();
    }
  });

  it('keeps the secrets out of the extras provider (forRoot passes the whole options there)', async () => {
    const app = await compile([
      SessionModule.forRoot({
        ...testOptions({ repository: new MemorySessionRepository() }),
        routes: { prefix: 'auth' },
      }),
    ]);
    try {
      const extras: unknown = app.get(SESSION_EXTRAS);
      expect(Object.keys(extras as object).sort()).toEqual(['isGlobal', 'jwks', 'routes']);
      expect(JSON.stringify(extras)).not.toContain(ACCESS_SECRET);
      expect(JSON.stringify(extras)).not.toContain(REFRESH_SECRET);
    } finally {
      await app.close();
    }
  });

  it('keeps two apps in one process apart: a token of one is refused by the other', async () => {
    const a = await createTestApp(testOptions({ repository: new MemorySessionRepository() }));
    const b = await createTestApp(
      testOptions({
        accessToken: { secret: 'another-access-secret-0123456789-abcdefghij' },
        refreshToken: { secret: 'another-refresh-secret-0123456789-abcdefghij' },
        repository: new MemorySessionRepository(),
      }),
    );
    try {
      const tokenA = (await request(a.getHttpServer()).post('/login').expect(201)).body.accessToken;
      const tokenB = (await request(b.getHttpServer()).post('/login').expect(201)).body.accessToken;
      await request(a.getHttpServer())
        .get('/me')
        .set('Authorization', `Bearer ${tokenA}`)
        .expect(200);
      await request(b.getHttpServer())
        .get('/me')
        .set('Authorization', `Bearer ${tokenB}`)
        .expect(200);
      await request(b.getHttpServer())
        .get('/me')
        .set('Authorization', `Bearer ${tokenA}`)
        .expect(401);
      await request(a.getHttpServer())
        .get('/me')
        .set('Authorization', `Bearer ${tokenB}`)
        .expect(401);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('never closes a Redis client the app passed in, and closes its own', async () => {
    const client = new Redis(redisUrl());
    const app = await createTestApp(testOptions({ redis: { client, keyPrefix: prefix } }));
    const login = await request(app.getHttpServer()).post('/login').expect(201);
    expect(login.body.sessionId).toEqual(expect.any(String));
    await app.close();
    expect(client.status).toBe('ready');
    await client.quit();

    const owned = await createTestApp(
      testOptions({ redis: { url: redisUrl(), keyPrefix: prefix } }),
    );
    const handle = owned.get<{ client: Redis; owned: boolean }>(SESSION_REDIS, { strict: false });
    expect(handle.owned).toBe(true);
    expect(handle.client.status).toBe('ready');
    await owned.close();
    expect(handle.client.status).toBe('end');
  });

  it.each([
    ['accessToken.secret', { accessToken: { secret: 'short' } }],
    ['refreshToken.secret', { refreshToken: { secret: ACCESS_SECRET } }],
    ['accessToken.ttl', { accessToken: { secret: ACCESS_SECRET, ttl: 'soon' } }],
    ['accessToken.ttl', { accessToken: { secret: ACCESS_SECRET, ttl: '8d' } }],
    ['redis', { repository: undefined }],
  ])('stops start-up with a message naming %s', async (option, overrides) => {
    const run = compile([
      SessionModule.forRoot({
        ...testOptions({ repository: new MemorySessionRepository() }),
        ...(overrides as object),
      }),
    ]);
    await expect(run).rejects.toThrow(SessionConfigError);
    await expect(run).rejects.toThrow(`"${option}"`);
  });

  it('keeps a secret out of the start-up error', async () => {
    const secret = 'leaky-secret-value';
    const run = compile([
      SessionModule.forRoot(
        testOptions({ accessToken: { secret }, repository: new MemorySessionRepository() }),
      ),
    ]);
    await expect(run).rejects.toThrow(SessionConfigError);
    await run.catch((error: Error) => expect(error.message).not.toContain(secret));
  });
});
