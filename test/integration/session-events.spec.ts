import { Injectable, Module, type INestApplication, type LoggerService } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { Test } from '@nestjs/testing';
import type { Redis } from 'ioredis';
import request from 'supertest';
import {
  SessionEvents,
  SessionModule,
  SessionRepository,
  SessionService,
  type SessionEvent,
  type SessionModuleOptions,
} from 'nest-redis-sessions';
import { newSessionId, parseSessionId, randomId } from '../../src/store/session-id.js';
import { createTestClient, deleteByPrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import { TestAppController, cookieHeader, testOptions } from '../support/session-app.js';

/** Every session event an app delivered, in order. */
type Recorded = SessionEvent[];

/** Collects the events `EventEmitterModule` delivers to `@OnEvent` listeners. */
@Injectable()
class EventRecorder {
  static events: Recorded = [];
  @OnEvent(SessionEvents.Created) created(event: SessionEvent) {
    EventRecorder.events.push(event);
  }
  @OnEvent(SessionEvents.Refreshed) refreshed(event: SessionEvent) {
    EventRecorder.events.push(event);
  }
  @OnEvent(SessionEvents.Revoked) revoked(event: SessionEvent) {
    EventRecorder.events.push(event);
  }
  @OnEvent(SessionEvents.ReuseDetected) reused(event: SessionEvent) {
    EventRecorder.events.push(event);
  }
}

/** A Nest logger that keeps every line. */
class LinesLogger implements LoggerService {
  readonly lines: string[] = [];
  log(m: unknown) {
    this.lines.push(String(m));
  }
  error(m: unknown) {
    this.lines.push(String(m));
  }
  warn(m: unknown) {
    this.lines.push(String(m));
  }
}

type Delivery = 'EventEmitterModule' | 'events.onEvent hook';

/** An app whose events end up in the returned array, through `delivery`. */
async function eventsApp(
  delivery: Delivery,
  options: Partial<SessionModuleOptions>,
  logger?: LoggerService,
): Promise<{ app: INestApplication; events: Recorded }> {
  const events: Recorded = [];
  const viaEmitter = delivery === 'EventEmitterModule';
  if (viaEmitter) EventRecorder.events = events;
  @Module({
    imports: [
      ...(viaEmitter ? [EventEmitterModule.forRoot()] : []),
      SessionModule.forRoot(
        testOptions({
          ...options,
          ...(viaEmitter || options.events
            ? {}
            : { events: { onEvent: (event) => void events.push(event) } }),
        }),
      ),
    ],
    controllers: [TestAppController],
    providers: viaEmitter ? [EventRecorder] : [],
  })
  class EventsAppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [EventsAppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: logger ?? false });
  await app.init();
  return { app, events };
}

/** Waits until `check` holds (events are delivered after the response, on a later tick). */
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Lets every queued delivery run (setImmediate), so that a duplicate would show. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

describe.each<Delivery>(['EventEmitterModule', 'events.onEvent hook'])(
  'session events through %s',
  (delivery) => {
    const prefix = uniquePrefix('events');
    let redis: Redis;
    let app: INestApplication;
    let events: Recorded;

    const login = (user: string, cookie?: string) => {
      const req = request(app.getHttpServer())
        .post(`/login?user=${encodeURIComponent(user)}`)
        .set('User-Agent', 'events-test/1.0');
      return (cookie ? req.set('Cookie', cookie) : req).expect(201);
    };
    const of = (sessionId: string) => events.filter((e) => e.sessionId === sessionId);

    beforeAll(async () => {
      redis = createTestClient();
      ({ app, events } = await eventsApp(delivery, {
        redis: { url: redisUrl(), keyPrefix: prefix },
        maxSessionsPerUser: 2,
      }));
    });
    afterAll(async () => {
      await app.close();
      await deleteByPrefix(redis, prefix);
      await redis.quit();
    });

    it('emits session.created once, with the client and no token', async () => {
      const res = await login('created');
      const { sessionId } = res.body as { sessionId: string; accessToken: string };
      await until(() => of(sessionId).length > 0);
      await settle();

      expect(of(sessionId)).toEqual([
        {
          name: 'session.created',
          userId: 'created',
          sessionId,
          at: expect.any(Date),
          ip: expect.stringMatching(/127\.0\.0\.1|::1/),
          userAgent: 'events-test/1.0',
        },
      ]);
      const text = JSON.stringify(of(sessionId));
      expect(text).not.toContain((res.body as { accessToken: string }).accessToken);
      expect(text).not.toContain((res.body as { refreshToken: string }).refreshToken);
    });

    it('emits session.refreshed once per refresh', async () => {
      const res = await login('refreshed');
      const { sessionId } = res.body as { sessionId: string };
      await request(app.getHttpServer())
        .post('/auth/refresh')
        .set('User-Agent', 'events-test/2.0')
        .set('Cookie', cookieHeader(res.headers['set-cookie']))
        .expect(200);
      await until(() => of(sessionId).some((e) => e.name === 'session.refreshed'));
      await settle();

      expect(of(sessionId).filter((e) => e.name === 'session.refreshed')).toEqual([
        {
          name: 'session.refreshed',
          userId: 'refreshed',
          sessionId,
          at: expect.any(Date),
          ip: expect.any(String),
          userAgent: 'events-test/2.0',
          rotated: true,
        },
      ]);
    });

    it.each([
      [
        'logout',
        async (token: string) => {
          await request(app.getHttpServer())
            .post('/auth/logout')
            .set('Authorization', `Bearer ${token}`)
            .expect(204);
        },
      ],
      [
        'revoked-by-id',
        async (token: string, sessionId: string) => {
          await request(app.getHttpServer())
            .delete(`/auth/sessions/${sessionId}`)
            .set('Authorization', `Bearer ${token}`)
            .expect(204);
        },
      ],
      [
        'revoked-by-id',
        async (_token: string, sessionId: string) => {
          expect(await app.get(SessionService).revoke(sessionId)).toBe(true);
        },
      ],
    ] as const)('emits session.revoked once with reason %s', async (reason, end) => {
      const res = await login(`revoked-${reason}`);
      const { sessionId, accessToken } = res.body as { sessionId: string; accessToken: string };
      await end(accessToken, sessionId);
      await until(() => of(sessionId).some((e) => e.name === 'session.revoked'));
      await settle();

      expect(of(sessionId).filter((e) => e.name === 'session.revoked')).toEqual([
        {
          name: 'session.revoked',
          userId: `revoked-${reason}`,
          sessionId,
          at: expect.any(Date),
          reason,
        },
      ]);
    });

    it('emits one session.revoked per session ended by logout-all', async () => {
      const first = (await login('everywhere')).body as { sessionId: string };
      const second = (await login('everywhere')).body as {
        sessionId: string;
        accessToken: string;
      };
      await request(app.getHttpServer())
        .post('/auth/logout-all')
        .set('Authorization', `Bearer ${second.accessToken}`)
        .expect(204);
      const revoked = () =>
        events.filter((e) => e.name === 'session.revoked' && e.userId === 'everywhere');
      await until(() => revoked().length >= 2);
      await settle();

      expect(
        revoked()
          .map((e) => [e.sessionId, 'reason' in e && e.reason])
          .sort(),
      ).toEqual(
        [
          [first.sessionId, 'logout-all'],
          [second.sessionId, 'logout-all'],
        ].sort(),
      );
    });

    it('emits session.revoked with reason evicted past maxSessionsPerUser', async () => {
      const oldest = (await login('evicted')).body as { sessionId: string };
      await login('evicted');
      await login('evicted');
      await until(() => of(oldest.sessionId).some((e) => e.name === 'session.revoked'));
      await settle();

      expect(of(oldest.sessionId).filter((e) => e.name === 'session.revoked')).toEqual([
        {
          name: 'session.revoked',
          userId: 'evicted',
          sessionId: oldest.sessionId,
          at: expect.any(Date),
          reason: 'evicted',
        },
      ]);
    });

    it('emits session.revoked with reason replaced when the browser logs in again', async () => {
      const first = await login('replaced');
      const { sessionId } = first.body as { sessionId: string };
      await login('replaced', cookieHeader(first.headers['set-cookie']));
      await until(() => of(sessionId).some((e) => e.name === 'session.revoked'));
      await settle();

      expect(of(sessionId).filter((e) => e.name === 'session.revoked')).toEqual([
        {
          name: 'session.revoked',
          userId: 'replaced',
          sessionId,
          at: expect.any(Date),
          reason: 'replaced',
        },
      ]);
    });

    it('emits session.reuse-detected once, with the replaying client, and the revocation', async () => {
      const sessions = app.get(SessionService);
      const created = await sessions.create({ id: 'reuse' });
      const rotated = await sessions.refresh(created.refreshToken);
      await sessions.refresh(rotated.refreshToken); // the first token is now two rotations old
      await expect(
        sessions.refresh(created.refreshToken, { ip: '198.51.100.9', userAgent: 'thief/1.0' }),
      ).rejects.toMatchObject({ status: 401 });
      await until(() => of(created.sessionId).some((e) => e.name === 'session.revoked'));
      await settle();

      const reuse = of(created.sessionId).filter(
        (e) => e.name === 'session.reuse-detected' || e.name === 'session.revoked',
      );
      expect(reuse).toEqual([
        {
          name: 'session.reuse-detected',
          userId: 'reuse',
          sessionId: created.sessionId,
          at: expect.any(Date),
          ip: '198.51.100.9',
          userAgent: 'thief/1.0',
        },
        {
          name: 'session.revoked',
          userId: 'reuse',
          sessionId: created.sessionId,
          at: expect.any(Date),
          reason: 'reuse-detected',
        },
      ]);
      expect(of(created.sessionId).filter((e) => e.name === 'session.refreshed')).toHaveLength(2);
    });

    it('emits no event for a failed refresh, logout or revoke', async () => {
      // Genuine tokens of a session that has ended: these failures reach the store.
      const ended = await login('failures');
      const { sessionId } = ended.body as { sessionId: string };
      await expect(app.get(SessionService).revoke(sessionId)).resolves.toBe(true);
      await until(() => of(sessionId).some((e) => e.name === 'session.revoked'));
      await settle();
      const before = events.length;
      await request(app.getHttpServer())
        .post('/auth/refresh')
        .set('Cookie', 'refresh_token=garbage')
        .expect(401);
      await request(app.getHttpServer())
        .post('/auth/refresh')
        .set('Cookie', cookieHeader(ended.headers['set-cookie']))
        .expect(401);
      await request(app.getHttpServer())
        .post('/auth/logout')
        .set('Authorization', 'Bearer garbage')
        .expect(401);
      await request(app.getHttpServer())
        .post('/auth/logout')
        .set('Cookie', cookieHeader(ended.headers['set-cookie']))
        .expect(401);
      await expect(app.get(SessionService).revoke('not-a-session')).resolves.toBe(false);
      await expect(app.get(SessionService).revoke(sessionId)).resolves.toBe(false);
      await expect(app.get(SessionService).revokeAll('failures')).resolves.toBe(0);
      await settle();
      expect(events.length).toBe(before);
    });
  },
);

describe.each<Delivery>(['EventEmitterModule', 'events.onEvent hook'])(
  'expiry events through %s',
  (delivery) => {
    const prefix = uniquePrefix('events-expiry');
    let redis: Redis;
    const apps: INestApplication[] = [];

    beforeAll(() => {
      redis = createTestClient();
    });
    afterAll(async () => {
      await Promise.all(apps.map((a) => a.close()));
      await deleteByPrefix(redis, prefix);
      await redis.quit();
    });

    it.each([
      ['idle', { idleTimeout: '1s', absoluteTimeout: '1h' }],
      ['absolute', { idleTimeout: '1h', absoluteTimeout: '1s' }],
    ] as const)(
      'reports a session that reached its %s timeout once, when the user next logs in',
      async (reason, timeouts) => {
        const { app, events } = await eventsApp(delivery, {
          redis: { url: redisUrl(), keyPrefix: `${prefix}${reason}:` },
          accessToken: { secret: testOptions().accessToken.secret, ttl: '1s' },
          refreshToken: { secret: testOptions().refreshToken.secret, ttl: '1s' },
          ...timeouts,
        });
        apps.push(app);
        const sessions = app.get(SessionService);
        const userId = `expiring-${reason}`;
        const first = await sessions.create({ id: userId });
        // Another device of the user, live for an hour, keeps the user's index (whose TTL is its
        // latest session's expiry): with no live session left, Redis drops the index too.
        const now = Date.now();
        await app.get(SessionRepository).create(
          {
            sessionId: newSessionId(userId),
            userId,
            claims: {},
            currentJti: randomId(),
            createdAt: now,
            lastSeenAt: now,
            idleExpiresAt: now + 3_600_000,
            absoluteExpiresAt: now + 3_600_000,
            authenticatedAt: now,
            userAgent: '',
            ip: '',
          },
          0,
        );
        const parts = parseSessionId(first.sessionId)!;
        const key = `${prefix}${reason}:{${parts.userPart}}:${parts.randomPart}`;
        // Redis deletes the key by its TTL, silently; poll for that, no fixed sleep.
        await until(async () => (await redis.exists(key)) === 0, 5000);

        await sessions.create({ id: userId });
        await sessions.list(userId);
        await until(() => events.some((e) => e.name === 'session.revoked'));
        await settle();

        const revoked = events.filter((e) => e.name === 'session.revoked');
        expect(revoked).toEqual([
          {
            name: 'session.revoked',
            userId,
            sessionId: first.sessionId,
            at: expect.any(Date),
            reason,
          },
        ]);
        expect(revoked[0].at.getTime()).toBeLessThanOrEqual(Date.now());
      },
    );
  },
);

describe('a failing or slow listener', () => {
  const prefix = uniquePrefix('events-failing');
  let redis: Redis;
  beforeAll(() => {
    redis = createTestClient();
  });
  afterAll(async () => {
    await deleteByPrefix(redis, prefix);
    await redis.quit();
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('listener broke: secret-detail');
      },
    ],
    ['rejects', () => Promise.reject(new Error('listener broke: secret-detail'))],
  ])('that %s neither fails the request nor logs more than the event name', async (_, onEvent) => {
    const logger = new LinesLogger();
    let calls = 0;
    const { app } = await eventsApp(
      'events.onEvent hook',
      {
        redis: { url: redisUrl(), keyPrefix: prefix },
        events: {
          onEvent: () => {
            calls += 1;
            return onEvent();
          },
        },
      },
      logger,
    );
    try {
      const res = await request(app.getHttpServer()).post('/login?user=failing').expect(201);
      await request(app.getHttpServer())
        .get('/me')
        .set('Authorization', `Bearer ${(res.body as { accessToken: string }).accessToken}`)
        .expect(200);
      await until(() => calls > 0 && logger.lines.some((l) => l.includes('session.created')));
      await settle();
      const failures = logger.lines.filter((l) => l.includes('listener'));
      expect(failures).toEqual(['A listener of session.created failed']);
      expect(logger.lines.join('\n')).not.toContain('secret-detail');
      expect(logger.lines.join('\n')).not.toContain(
        (res.body as { accessToken: string }).accessToken,
      );
    } finally {
      await app.close();
    }
  });

  it.each<Delivery>(['EventEmitterModule', 'events.onEvent hook'])(
    'does not hold the response while a listener through %s is still running',
    async (delivery) => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let started = 0;
      let finished = 0;
      const slow = async () => {
        started += 1;
        await gate;
        finished += 1;
      };
      const { app } = await eventsApp(delivery, {
        redis: { url: redisUrl(), keyPrefix: prefix },
        ...(delivery === 'events.onEvent hook' ? { events: { onEvent: slow } } : {}),
      });
      const onCreated = (): Promise<void> => slow();
      if (delivery === 'EventEmitterModule') {
        app.get(EventRecorder); // registered; add the slow listener on the app's emitter
        const { EventEmitter2 } = await import('@nestjs/event-emitter');
        app.get(EventEmitter2).on(SessionEvents.Created, onCreated);
      }
      try {
        // The response arrives while the listener waits on a gate that only the test opens.
        await request(app.getHttpServer()).post('/login?user=slow').expect(201);
        await until(() => started > 0);
        expect(finished).toBe(0);
        release();
        await until(() => finished > 0);
      } finally {
        release();
        await app.close();
      }
    },
  );
});

describe('events under races (each fires exactly once)', () => {
  const prefix = uniquePrefix('events-races');
  let redis: Redis;
  let app: INestApplication;
  let events: Recorded;
  let sessions: SessionService;
  const RACERS = 50;
  const of = (sessionId: string, name: SessionEvent['name']) =>
    events.filter((e) => e.sessionId === sessionId && e.name === name);

  beforeAll(async () => {
    redis = createTestClient();
    ({ app, events } = await eventsApp('events.onEvent hook', {
      redis: { url: redisUrl(), keyPrefix: prefix },
      refreshToken: { secret: testOptions().refreshToken.secret, reuseGrace: '10s' },
    }));
    sessions = app.get(SessionService);
  });
  afterAll(async () => {
    await app.close();
    await deleteByPrefix(redis, prefix);
    await redis.quit();
  });

  it(`reports ${RACERS} concurrent refreshes of one token as one rotation and the rest in grace`, async () => {
    const created = await sessions.create({ id: 'racing-refresh' });
    const results = await Promise.allSettled(
      Array.from({ length: RACERS }, () => sessions.refresh(created.refreshToken)),
    );
    const issued = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(issued).toHaveLength(RACERS);
    await until(() => of(created.sessionId, 'session.refreshed').length >= RACERS);
    await settle();

    const refreshed = of(created.sessionId, 'session.refreshed');
    expect(refreshed).toHaveLength(RACERS);
    expect(refreshed.filter((e) => 'rotated' in e && e.rotated)).toHaveLength(1);
    expect(of(created.sessionId, 'session.reuse-detected')).toEqual([]);
    expect(of(created.sessionId, 'session.revoked')).toEqual([]);
    // No token, nor the jti of any token, in any event.
    const text = JSON.stringify(events);
    for (const tokens of [created, ...issued]) {
      for (const token of [tokens.accessToken, tokens.refreshToken]) {
        const { jti } = JSON.parse(
          Buffer.from(token.split('.')[1], 'base64url').toString('utf8'),
        ) as { jti: string };
        expect(text).not.toContain(token);
        expect(text).not.toContain(jti);
      }
    }
  });

  it(`reports ${RACERS} concurrent replays of a stale token as one reuse and one revocation`, async () => {
    const created = await sessions.create({ id: 'racing-reuse' });
    const first = await sessions.refresh(created.refreshToken);
    await sessions.refresh(first.refreshToken); // the original is now two rotations old
    const results = await Promise.allSettled(
      Array.from({ length: RACERS }, () =>
        sessions.refresh(created.refreshToken, { ip: '203.0.113.7', userAgent: 'replayer' }),
      ),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    await until(() => of(created.sessionId, 'session.revoked').length > 0);
    await settle();

    expect(of(created.sessionId, 'session.reuse-detected')).toEqual([
      {
        name: 'session.reuse-detected',
        userId: 'racing-reuse',
        sessionId: created.sessionId,
        at: expect.any(Date),
        ip: '203.0.113.7',
        userAgent: 'replayer',
      },
    ]);
    expect(of(created.sessionId, 'session.revoked')).toEqual([
      {
        name: 'session.revoked',
        userId: 'racing-reuse',
        sessionId: created.sessionId,
        at: expect.any(Date),
        reason: 'reuse-detected',
      },
    ]);
  });

  it('reports each session once when revoke, revokeAll and refreshes race to end it', async () => {
    const user = 'racing-end';
    const logins = await Promise.all([1, 2, 3].map(() => sessions.create({ id: user })));
    await Promise.allSettled([
      ...logins.flatMap((l) => Array.from({ length: 10 }, () => sessions.revoke(l.sessionId))),
      ...Array.from({ length: 5 }, () => sessions.revokeAll(user)),
      ...logins.flatMap((l) => Array.from({ length: 5 }, () => sessions.refresh(l.refreshToken))),
    ]);
    await until(() => logins.every((l) => of(l.sessionId, 'session.revoked').length > 0));
    await settle();

    for (const l of logins) expect(of(l.sessionId, 'session.revoked')).toHaveLength(1);
    await expect(sessions.list(user)).resolves.toEqual([]);
  });
});
