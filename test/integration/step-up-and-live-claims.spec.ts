import {
  Controller,
  Get,
  HttpException,
  Module,
  Param,
  Post,
  UseGuards,
  type INestApplication,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { Redis } from 'ioredis';
import request from 'supertest';
import {
  AccessGuard,
  CurrentSession,
  MemorySessionRepository,
  Public,
  RequireFreshSession,
  Roles,
  RolesGuard,
  SafeErrorFilter,
  SessionArgumentError,
  SessionConfigError,
  SessionModule,
  SessionRepository,
  SessionService,
  type SessionModuleOptions,
  type SessionPrincipal,
} from 'nest-redis-sessions';
import { PassportAccessGuard, SessionPassportModule } from 'nest-redis-sessions/passport';
import { resolveSessionConfig } from '../../src/config/resolve-config.js';
import { FRESH_SESSION_KEY } from '../../src/decorators/require-fresh-session.decorator.js';
import { LiveSessionCache } from '../../src/store/live-session-cache.js';
import {
  commandCalls,
  createTestClient,
  deleteByPrefix,
  redisUrl,
  uniquePrefix,
} from '../support/redis.js';
import { testOptions } from '../support/session-app.js';

const MINUTE = 60_000;
const NOT_FRESH = {
  statusCode: 403,
  code: 'SESSION_NOT_FRESH',
  message: 'Recent authentication required',
};

@Controller()
class StepUpController {
  @Get('me')
  @UseGuards(AccessGuard)
  me(@CurrentSession() session: SessionPrincipal) {
    return {
      role: session.role ?? null,
      claims: session.claims,
      authenticatedAt: session.authenticatedAt?.toISOString() ?? null,
    };
  }

  @Post('sensitive')
  @UseGuards(AccessGuard)
  @RequireFreshSession('1m')
  sensitive(@CurrentSession() session: SessionPrincipal) {
    return { ok: true, userId: session.userId };
  }

  @Get('passport-sensitive')
  @UseGuards(PassportAccessGuard)
  @RequireFreshSession(MINUTE)
  passportSensitive() {
    return { ok: true };
  }

  /** A handler that works out "fresh until" by moving the Date it was given (its own copy?). */
  @Get('fresh-until')
  @UseGuards(AccessGuard)
  freshUntil(@CurrentSession() session: SessionPrincipal) {
    session.authenticatedAt?.setTime(session.authenticatedAt.getTime() + 60 * MINUTE);
    session.claims.tenant = 'mutated';
    return { until: session.authenticatedAt?.toISOString() };
  }

  @Get('admin')
  @UseGuards(AccessGuard, RolesGuard)
  @Roles('admin')
  admin() {
    return { ok: true };
  }

  @Get('coded/:code')
  coded(@Param('code') code: string) {
    throw new HttpException({ statusCode: 409, code: decodeURIComponent(code), message: 'x' }, 409);
  }
}

/** A whole controller marked fresh-only, with one handler that relaxes it. */
@Controller('vault')
@UseGuards(AccessGuard)
@RequireFreshSession('1m')
class VaultController {
  @Get('strict')
  strict() {
    return { ok: true };
  }

  @Get('relaxed')
  @RequireFreshSession('1h')
  relaxed() {
    return { ok: true };
  }
}

/** The README's "Password changed recipe", as written there. */
@Controller('account')
class PasswordController {
  constructor(private readonly sessions: SessionService) {}

  @Post('password')
  @UseGuards(AccessGuard)
  @RequireFreshSession('5m')
  async changePassword(@CurrentSession() session: SessionPrincipal) {
    // (the app stores the new password here)
    await this.sessions.revokeAll(session.userId, { except: session.sessionId });
    await this.sessions.markFresh(session.sessionId); // the new password was just typed
  }
}

async function stepUpApp(
  options: Partial<SessionModuleOptions>,
  filter = true,
): Promise<INestApplication> {
  @Module({
    imports: [
      SessionModule.forRoot(testOptions({ customClaims: ['tenant'], ...options })),
      SessionPassportModule,
    ],
    controllers: [StepUpController, VaultController, PasswordController],
    providers: filter ? [{ provide: APP_FILTER, useClass: SafeErrorFilter }] : [],
  })
  class StepUpAppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [StepUpAppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

describe('@RequireFreshSession()', () => {
  it.each([['abc'], [-1], [0], [''], [Number.NaN], ['5 minutes'], [{}], [null]])(
    'refuses the maxAge %p when the class is decorated',
    (maxAge) => {
      expect(() => RequireFreshSession(maxAge as never)).toThrow(SessionArgumentError);
    },
  );

  it('accepts milliseconds and duration strings', () => {
    class Routes {
      @RequireFreshSession(300_000) inMs(): void {}
      @RequireFreshSession('5m') asString(): void {}
    }
    const maxAge = (handler: () => void): unknown =>
      Reflect.getMetadata(FRESH_SESSION_KEY, handler);
    expect(maxAge(Routes.prototype.inMs)).toBe(300_000);
    expect(maxAge(Routes.prototype.asString)).toBe(300_000);
  });
});

describe.each([
  ['the memory repository', () => ({ repository: new MemorySessionRepository() })],
  ['Redis', () => ({ redis: { url: redisUrl(), keyPrefix: uniquePrefix('step-up') } })],
] as const)('step-up and live claims on %s', (_name, store) => {
  let app: INestApplication;
  let sessions: SessionService;
  let options: Partial<SessionModuleOptions>;

  beforeAll(async () => {
    options = store();
    app = await stepUpApp(options);
    sessions = app.get(SessionService);
  });
  afterAll(async () => {
    await app.close();
    if (options.redis?.keyPrefix) {
      const redis = createTestClient();
      await deleteByPrefix(redis, options.redis.keyPrefix);
      await redis.quit();
    }
  });

  const call = (method: 'get' | 'post', path: string, token: string) =>
    request(app.getHttpServer())[method](path).set('Authorization', `Bearer ${token}`);
  /** Makes the session's last credential check `ageMs` old, as if time had passed. */
  const age = async (sessionId: string, ageMs: number) => {
    const now = Date.now();
    await expect(app.get(SessionRepository).markFresh(sessionId, now - ageMs, now)).resolves.toBe(
      true,
    );
  };

  describe('step-up', () => {
    it('lets a session that has just logged in through', async () => {
      const login = await sessions.create({ id: 'fresh' });
      await call('post', '/sensitive', login.accessToken)
        .expect(201)
        .expect({ ok: true, userId: 'fresh' });
      await call('get', '/passport-sensitive', login.accessToken).expect(200);
    });

    it('answers 403 SESSION_NOT_FRESH once the last credential check is too old', async () => {
      const login = await sessions.create({ id: 'stale' });
      await age(login.sessionId, MINUTE + 1000);

      const res = await call('post', '/sensitive', login.accessToken).expect(403);
      expect(res.body).toEqual(NOT_FRESH);
      const passport = await call('get', '/passport-sensitive', login.accessToken).expect(403);
      expect(passport.body).toEqual(NOT_FRESH);
      // Routes without the decorator do not care.
      await call('get', '/me', login.accessToken).expect(200);
    });

    it('lets the session through again after markFresh, and a refresh does not do that', async () => {
      const login = await sessions.create({ id: 'step-up' });
      await age(login.sessionId, 10 * MINUTE);
      const refreshed = await sessions.refresh(login.refreshToken);
      await call('post', '/sensitive', refreshed.accessToken).expect(403);

      await expect(sessions.markFresh(login.sessionId)).resolves.toBe(true);

      await call('post', '/sensitive', refreshed.accessToken).expect(201);
      const me = await call('get', '/me', refreshed.accessToken).expect(200);
      const at = Date.parse((me.body as { authenticatedAt: string }).authenticatedAt);
      expect(Date.now() - at).toBeLessThan(MINUTE);
      await expect(sessions.get(login.sessionId)).resolves.toMatchObject({
        authenticatedAt: new Date(at),
      });
    });

    it('never marks fresh a revoked, unknown or malformed session', async () => {
      const login = await sessions.create({ id: 'gone' });
      await sessions.revoke(login.sessionId);
      await expect(sessions.markFresh(login.sessionId)).resolves.toBe(false);
      await expect(sessions.markFresh('garbage')).resolves.toBe(false);
      await expect(
        sessions.markFresh(`${login.sessionId.split('.')[0]}.${'A'.repeat(43)}`),
      ).resolves.toBe(false);
      await expect(sessions.markFresh(5 as unknown as string)).resolves.toBe(false);
      await expect(sessions.get(login.sessionId)).resolves.toBeNull();
      await call('post', '/sensitive', login.accessToken).expect(401);
    });

    it('honours a controller-wide maxAge and a handler that overrides it', async () => {
      const login = await sessions.create({ id: 'vault' });
      await age(login.sessionId, 2 * MINUTE);
      expect((await call('get', '/vault/strict', login.accessToken).expect(403)).body).toEqual(
        NOT_FRESH,
      );
      await call('get', '/vault/relaxed', login.accessToken).expect(200);
    });

    it('answers 401, not 403, without a valid token', async () => {
      await request(app.getHttpServer()).post('/sensitive').expect(401);
      await call('post', '/sensitive', 'garbage').expect(401);
    });
  });

  describe('live claims', () => {
    it('shows a new role at the next request with the same token, and signs it at refresh', async () => {
      const login = await sessions.create({ id: 'promoted', role: 'user' });
      await call('get', '/admin', login.accessToken).expect(403);

      await expect(
        sessions.updateClaims({ sessionId: login.sessionId }, { role: 'admin' }),
      ).resolves.toBe(1);

      await call('get', '/admin', login.accessToken).expect(200);
      await call('get', '/me', login.accessToken)
        .expect(200)
        .expect({
          role: 'admin',
          claims: {},
          authenticatedAt: (await sessions.get(login.sessionId))!.authenticatedAt.toISOString(),
        });
      expect(claimsOf(login.accessToken).role).toBe('user'); // the old token is unchanged
      const refreshed = await sessions.refresh(login.refreshToken);
      expect(claimsOf(refreshed.accessToken).role).toBe('admin');
    });

    it('changes every session of a user, and no one else’s', async () => {
      const phone = await sessions.create({ id: 'demoted', role: 'admin' });
      const laptop = await sessions.create({ id: 'demoted', role: 'admin' });
      const other = await sessions.create({ id: 'bystander', role: 'admin' });

      await expect(sessions.updateClaims({ userId: 'demoted' }, { role: null })).resolves.toBe(2);

      for (const token of [phone.accessToken, laptop.accessToken]) {
        await call('get', '/admin', token).expect(403);
        expect((await call('get', '/me', token).expect(200)).body).toMatchObject({ role: null });
      }
      await call('get', '/admin', other.accessToken).expect(200);
      const refreshed = await sessions.refresh(laptop.refreshToken);
      expect(claimsOf(refreshed.accessToken)).not.toHaveProperty('role');
    });

    it('replaces the custom claims, shows them at once and signs them at refresh', async () => {
      const login = await sessions.create({ id: 'tenant-move', claims: { tenant: 't-1' } });

      await sessions.updateClaims({ sessionId: login.sessionId }, { claims: { tenant: 't-2' } });

      expect((await call('get', '/me', login.accessToken).expect(200)).body).toMatchObject({
        claims: { tenant: 't-2' },
      });
      const refreshed = await sessions.refresh(login.refreshToken);
      expect(claimsOf(refreshed.accessToken).tenant).toBe('t-2');
      await expect(sessions.get(login.sessionId)).resolves.toMatchObject({
        claims: { tenant: 't-2' },
      });

      await sessions.updateClaims({ sessionId: login.sessionId }, { claims: {} });
      expect((await call('get', '/me', login.accessToken).expect(200)).body).toMatchObject({
        claims: {},
      });
    });

    it('changes nothing for an unknown, malformed or revoked target', async () => {
      const login = await sessions.create({ id: 'ghost' });
      await sessions.revoke(login.sessionId);
      await expect(
        sessions.updateClaims({ sessionId: login.sessionId }, { role: 'admin' }),
      ).resolves.toBe(0);
      await expect(
        sessions.updateClaims({ sessionId: 'garbage' }, { role: 'admin' }),
      ).resolves.toBe(0);
      await expect(
        sessions.updateClaims({ userId: 'nobody-here' }, { role: 'admin' }),
      ).resolves.toBe(0);
      await expect(sessions.updateClaims({ userId: '' }, { role: 'admin' })).resolves.toBe(0);
      await expect(sessions.get(login.sessionId)).resolves.toBeNull();
    });

    it.each([
      ['an unlisted claim', { sessionId: 'x.y' }, { claims: { plan: 'gold' } }],
      ['a nested claim value', { sessionId: 'x.y' }, { claims: { tenant: { a: 1 } } }],
      ['claims that are not an object', { sessionId: 'x.y' }, { claims: ['tenant'] }],
      ['too large claims', { sessionId: 'x.y' }, { claims: { tenant: 'x'.repeat(2000) } }],
      ['a role that is too long', { sessionId: 'x.y' }, { role: 'r'.repeat(65) }],
      ['a role that is not a string', { sessionId: 'x.y' }, { role: 7 }],
      ['an empty change', { sessionId: 'x.y' }, {}],
      ['no change', { sessionId: 'x.y' }, null],
      ['both sessionId and userId', { sessionId: 'x.y', userId: 'u' }, { role: 'a' }],
      ['an empty target', {}, { role: 'a' }],
      ['no target', null, { role: 'a' }],
    ])('throws SessionArgumentError for %s', async (_case, target, change) => {
      await expect(sessions.updateClaims(target as never, change as never)).rejects.toThrow(
        SessionArgumentError,
      );
    });
  });

  it('keeps a safe code in error bodies and drops any other', async () => {
    const coded = (code: string) =>
      request(app.getHttpServer())
        .get(`/coded/${encodeURIComponent(code)}`)
        .expect(409);
    expect((await coded('SOME_CODE_2')).body).toEqual({
      statusCode: 409,
      code: 'SOME_CODE_2',
      message: 'x',
    });
    for (const unsafe of ['lower_case', '<script>', 'A'.repeat(65), '1ABC', 'A B', 'TOKEN.eyJ']) {
      expect((await coded(unsafe)).body).toEqual({ statusCode: 409, message: 'x' });
    }
  });
});

describe('step-up without SafeErrorFilter', () => {
  it('answers the same 403 body through Nest’s own exception handling', async () => {
    const app = await stepUpApp({ repository: new MemorySessionRepository() }, false);
    try {
      const sessions = app.get(SessionService);
      const login = await sessions.create({ id: 'no-filter' });
      const now = Date.now();
      await app.get(SessionRepository).markFresh(login.sessionId, now - 2 * MINUTE, now);
      const res = await request(app.getHttpServer())
        .post('/sensitive')
        .set('Authorization', `Bearer ${login.accessToken}`)
        .expect(403);
      expect(res.body).toEqual(NOT_FRESH);
    } finally {
      await app.close();
    }
  });
});

describe('live claims and step-up on two instances with the revocation cache', () => {
  const keyPrefix = uniquePrefix('live-claims-cache');
  let redis: Redis;
  let a: INestApplication;
  let b: INestApplication;

  async function until(check: () => Promise<boolean> | boolean, timeoutMs = 1000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
  const calls = (command: string) => commandCalls(redis, command);
  const call = (app: INestApplication, method: 'get' | 'post', path: string, token: string) =>
    request(app.getHttpServer())[method](path).set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    redis = createTestClient();
    const options = {
      redis: { url: redisUrl(), keyPrefix },
      revocation: { cacheMs: 60_000 },
    };
    [a, b] = await Promise.all([stepUpApp(options), stepUpApp(options)]);
    const cacheOf = (app: INestApplication) => app.get(SessionRepository) as LiveSessionCache;
    await until(() => cacheOf(a).connected && cacheOf(b).connected, 2000);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    await deleteByPrefix(redis, keyPrefix);
    await redis.quit();
  });

  it('serves the cached view without a Redis read, including role and claims', async () => {
    const login = await a.get(SessionService).create({ id: 'cached', role: 'admin' });
    await call(b, 'get', '/admin', login.accessToken).expect(200);
    const before = await calls('hmget');
    await call(b, 'get', '/admin', login.accessToken).expect(200);
    await call(b, 'get', '/me', login.accessToken).expect(200);
    expect(await calls('hmget')).toBe(before);
  });

  it('shows a role changed on one instance at the other within milliseconds', async () => {
    const login = await a.get(SessionService).create({ id: 'cached-role', role: 'admin' });
    await call(b, 'get', '/admin', login.accessToken).expect(200); // cached on b
    await call(b, 'get', '/admin', login.accessToken).expect(200);

    await a.get(SessionService).updateClaims({ userId: 'cached-role' }, { role: 'user' });

    await until(async () => (await call(b, 'get', '/admin', login.accessToken)).status === 403);
    const me = await call(b, 'get', '/me', login.accessToken).expect(200);
    expect((me.body as { role: string }).role).toBe('user');
  });

  it('shows a session changed by id on one instance at the other', async () => {
    const login = await a
      .get(SessionService)
      .create({ id: 'cached-claims', claims: { tenant: 'a' } });
    await call(b, 'get', '/me', login.accessToken).expect(200);

    await a
      .get(SessionService)
      .updateClaims({ sessionId: login.sessionId }, { claims: { tenant: 'b' } });

    await until(
      async () =>
        ((await call(b, 'get', '/me', login.accessToken)).body as { claims: { tenant?: string } })
          .claims.tenant === 'b',
    );
  });

  it('password changed recipe: ends every other device on every instance, keeps the caller', async () => {
    const sessions = a.get(SessionService);
    const caller = await sessions.create({ id: 'pw-change' });
    const phone = await sessions.create({ id: 'pw-change' });
    const other = await sessions.create({ id: 'pw-bystander' });
    for (const app of [a, b]) {
      for (const login of [caller, phone, other]) {
        await call(app, 'get', '/me', login.accessToken).expect(200); // cached on both
      }
    }
    const now = Date.now();
    // As if ten minutes had passed; the write is announced to b like any other.
    await a.get(SessionRepository).markFresh(caller.sessionId, now - 10 * MINUTE, now);
    await until(
      async () => (await call(b, 'post', '/account/password', caller.accessToken)).status === 403,
    );

    await sessions.markFresh(caller.sessionId);
    await until(
      async () => (await call(b, 'post', '/account/password', caller.accessToken)).status === 201,
    );

    await until(async () => (await call(a, 'get', '/me', phone.accessToken)).status === 401);
    await until(async () => (await call(b, 'get', '/me', phone.accessToken)).status === 401);
    await expect(sessions.refresh(phone.refreshToken)).rejects.toMatchObject({ status: 401 });
    for (const app of [a, b]) {
      await call(app, 'get', '/me', caller.accessToken).expect(200);
      await call(app, 'post', '/sensitive', caller.accessToken).expect(201);
      await call(app, 'get', '/me', other.accessToken).expect(200);
    }
    await expect(sessions.refresh(caller.refreshToken)).resolves.toMatchObject({
      sessionId: caller.sessionId,
    });
    expect((await sessions.list('pw-change')).map((s) => s.id)).toEqual([caller.sessionId]);
  });

  it('hands each request its own principal: a handler changing it changes no cached view', async () => {
    const login = await a.get(SessionService).create({ id: 'mutator', claims: { tenant: 'a' } });
    const now = Date.now();
    await a.get(SessionRepository).markFresh(login.sessionId, now - 2 * MINUTE, now);
    await until(
      async () => (await call(b, 'post', '/sensitive', login.accessToken)).status === 403,
    );

    await call(b, 'get', '/fresh-until', login.accessToken).expect(200);

    expect((await call(b, 'post', '/sensitive', login.accessToken)).body).toEqual(NOT_FRESH);
    const me = await call(b, 'get', '/me', login.accessToken).expect(200);
    expect((me.body as { claims: unknown }).claims).toEqual({ tenant: 'a' });
  });

  it('lets a session marked fresh on one instance through on the other', async () => {
    const login = await a.get(SessionService).create({ id: 'cached-fresh' });
    const now = Date.now();
    await a.get(SessionRepository).markFresh(login.sessionId, now - 2 * MINUTE, now);
    await call(b, 'post', '/sensitive', login.accessToken).expect(403); // stale view cached on b
    await call(b, 'post', '/sensitive', login.accessToken).expect(403);

    await expect(a.get(SessionService).markFresh(login.sessionId)).resolves.toBe(true);

    await until(
      async () => (await call(b, 'post', '/sensitive', login.accessToken)).status === 201,
    );
  });
});

/** A controller opened with @Public() whose one sensitive handler asks for a fresh session. */
@Controller('mostly-open')
@Public()
class MostlyOpenController {
  @Get('info')
  info() {
    return { ok: true };
  }

  @Post('sensitive')
  @RequireFreshSession('1m')
  sensitive(@CurrentSession() session: SessionPrincipal) {
    return { ok: true, userId: session.userId };
  }
}

/** A controller that asks for fresh sessions, with one handler opened by @Public(). */
@Controller('mostly-fresh')
@RequireFreshSession('1m')
class MostlyFreshController {
  @Get('open')
  @Public()
  open() {
    return { ok: true };
  }
}

describe.each([
  ['AccessGuard', AccessGuard],
  ['PassportAccessGuard', PassportAccessGuard],
] as const)('@RequireFreshSession() with @Public() and %s installed globally', (_name, guard) => {
  let app: INestApplication;
  let sessions: SessionService;

  beforeAll(async () => {
    @Module({
      imports: [
        SessionModule.forRoot(testOptions({ repository: new MemorySessionRepository() })),
        SessionPassportModule,
      ],
      controllers: [MostlyOpenController, MostlyFreshController],
      providers: [
        { provide: APP_GUARD, useExisting: guard },
        { provide: APP_FILTER, useClass: SafeErrorFilter },
      ],
    })
    class PublicAppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [PublicAppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    sessions = app.get(SessionService);
  });
  afterAll(async () => {
    await app.close();
  });

  it('never opens a handler that asks for a fresh session because its controller is public', async () => {
    const server = app.getHttpServer();
    await request(server).get('/mostly-open/info').expect(200);
    await request(server).post('/mostly-open/sensitive').expect(401);

    const login = await sessions.create({ id: 'public-fresh' });
    await request(server)
      .post('/mostly-open/sensitive')
      .set('Authorization', `Bearer ${login.accessToken}`)
      .expect(201)
      .expect({ ok: true, userId: 'public-fresh' });
    const now = Date.now();
    await app.get(SessionRepository).markFresh(login.sessionId, now - 2 * MINUTE, now);
    const stale = await request(server)
      .post('/mostly-open/sensitive')
      .set('Authorization', `Bearer ${login.accessToken}`)
      .expect(403);
    expect(stale.body).toEqual(NOT_FRESH);
  });

  it('keeps a handler marked @Public() open under a fresh-only controller', async () => {
    await request(app.getHttpServer()).get('/mostly-fresh/open').expect(200);
  });
});

describe('claims validation', () => {
  let app: INestApplication;
  let sessions: SessionService;

  beforeAll(async () => {
    app = await stepUpApp({ repository: new MemorySessionRepository() });
    sessions = app.get(SessionService);
  });
  afterAll(async () => {
    await app.close();
  });

  it('counts the 1 KiB limit of the claims in bytes, not characters', async () => {
    const login = await sessions.create({ id: 'bytes' });
    const wide = { tenant: 'é'.repeat(600) }; // 614 characters of JSON, 1214 bytes
    await expect(
      sessions.updateClaims({ sessionId: login.sessionId }, { claims: wide }),
    ).rejects.toThrow(SessionArgumentError);
    await expect(sessions.create({ id: 'bytes', claims: wide })).rejects.toThrow(
      SessionArgumentError,
    );
    const fits = { tenant: 'é'.repeat(500) }; // 1014 bytes
    await expect(
      sessions.updateClaims({ sessionId: login.sessionId }, { claims: fits }),
    ).resolves.toBe(1);
  });

  it('stores exactly the claims it checked, whatever the object’s prototype says', async () => {
    const login = await sessions.create({ id: 'proto' });
    const sneaky = Object.assign(
      Object.create({ toJSON: () => ({ role: 'admin', sub: 'root', tenant: 'other' }) }) as object,
      { tenant: 't-1' },
    );
    await sessions.updateClaims({ sessionId: login.sessionId }, { claims: sneaky as never });
    await expect(sessions.get(login.sessionId)).resolves.toMatchObject({
      claims: { tenant: 't-1' },
    });
    const refreshed = await sessions.refresh(login.refreshToken);
    const payload = claimsOf(refreshed.accessToken);
    expect(payload.tenant).toBe('t-1');
    expect(payload).not.toHaveProperty('role');
    expect(payload.sub).toBe('proto');

    let reads = 0;
    const shifty = {
      get tenant() {
        reads += 1;
        return reads === 1 ? 't-2' : { nested: true };
      },
    };
    await sessions.updateClaims({ sessionId: login.sessionId }, { claims: shifty as never });
    await expect(sessions.get(login.sessionId)).resolves.toMatchObject({
      claims: { tenant: 't-2' },
    });
  });

  it('refuses prototype keys as claim names', async () => {
    await expect(
      sessions.updateClaims({ userId: 'x' }, { claims: JSON.parse('{"__proto__":"x"}') as never }),
    ).rejects.toThrow(SessionArgumentError);
    for (const name of ['__proto__', 'constructor', 'prototype']) {
      expect(() =>
        resolveSessionConfig(
          testOptions({ repository: new MemorySessionRepository(), customClaims: [name] }),
        ),
      ).toThrow(SessionConfigError);
    }
  });
});
