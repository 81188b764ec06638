import request from 'supertest';
import { SAMPLE_CONFIG } from '../../sample-app/app.module.js';
import { createSampleApp } from '../../sample-app/bootstrap.js';
import {
  SampleConfigError,
  sampleOptionsFromEnv,
  type SampleConfig,
} from '../../sample-app/config.js';
import { deleteByPrefix, createTestClient } from '../support/redis.js';
import {
  ACCESS_SECRET,
  ADAPTERS,
  bearer,
  cookieHeader,
  e2eEnv,
  login,
  MemoryLogger,
  REFRESH_SECRET,
  setCookie,
  startApp,
} from '../support/e2e.js';

const SECRETS = { ACCESS_SECRET, REFRESH_SECRET };

describe('sampleOptionsFromEnv', () => {
  it('applies the documented defaults', () => {
    const { port, session } = sampleOptionsFromEnv({ ...SECRETS, REDIS_URL: 'redis://h:6379' });
    expect(port).toBe(3000);
    expect(session).toMatchObject({
      accessToken: { secret: ACCESS_SECRET, ttl: 15 * 60_000 },
      refreshToken: { secret: REFRESH_SECRET, ttl: 7 * 86_400_000, reuseGrace: 10_000 },
      idleTimeout: 7 * 86_400_000,
      absoluteTimeout: 30 * 86_400_000,
      clockTolerance: 0,
      maxSessionsPerUser: 0,
      cookies: { secure: true },
      allowedOrigins: [],
      redis: { url: 'redis://h:6379' },
    });
    expect(session.repository).toBeUndefined();
  });

  it('reads every variable', () => {
    const { port, session } = sampleOptionsFromEnv({
      ...SECRETS,
      PORT: '8080',
      REDIS_URL: 'redis://h:6379/2',
      REDIS_KEY_PREFIX: 'test:',
      ACCESS_TTL: '30s',
      REFRESH_TTL: '1h',
      IDLE_TIMEOUT: '2h',
      ABSOLUTE_TIMEOUT: '1d',
      REUSE_GRACE: '0',
      CLOCK_TOLERANCE: '5s',
      MAX_SESSIONS_PER_USER: '3',
      COOKIE_SECURE: 'false',
      ALLOWED_ORIGINS: 'https://a.example, http://localhost:5173',
    });
    expect(port).toBe(8080);
    expect(session).toMatchObject({
      accessToken: { ttl: 30_000 },
      refreshToken: { ttl: 3_600_000, reuseGrace: 0 },
      idleTimeout: 7_200_000,
      absoluteTimeout: 86_400_000,
      clockTolerance: 5000,
      maxSessionsPerUser: 3,
      cookies: { secure: false },
      allowedOrigins: ['https://a.example', 'http://localhost:5173'],
      redis: { url: 'redis://h:6379/2', keyPrefix: 'test:' },
    });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['ACCESS_TTL', 'soon'],
    ['ACCESS_TTL', '0'],
    ['ACCESS_TTL', '-5s'],
    ['IDLE_TIMEOUT', '7 days'],
    ['ABSOLUTE_TIMEOUT', '0d'],
    ['REUSE_GRACE', '1w'],
    ['CLOCK_TOLERANCE', '31s'],
    ['MAX_SESSIONS_PER_USER', '-1'],
    ['MAX_SESSIONS_PER_USER', 'two'],
    ['COOKIE_SECURE', 'maybe'],
    ['ALLOWED_ORIGINS', 'https://a.example/path'],
    ['ALLOWED_ORIGINS', 'a.example'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['HTTP_ADAPTER', 'koa'],
    ['REDIS_CLUSTER_NODES', '127.0.0.1'],
    ['REDIS_CLUSTER_NODES', '127.0.0.1:0'],
    ['REDIS_CLUSTER_NODES', '127.0.0.1:7000,:7001'],
    ['REDIS_CLUSTER_NODES', ','],
    ['REVOCATION_CACHE_MS', 'soon'],
    ['REVOCATION_CACHE_MS', '5s'], // without Redis: the memory store has no channel
  ])('refuses %s=%s with an error naming the variable', (name, value) => {
    const call = (): SampleConfig => sampleOptionsFromEnv({ ...SECRETS, [name]: value });
    expect(call).toThrow(SampleConfigError);
    expect(call).toThrow(new RegExp(`^Environment variable ${name} `));
  });

  it('reads HTTP_ADAPTER in any case, express by default', () => {
    expect(sampleOptionsFromEnv(SECRETS).httpAdapter).toBe('express');
    expect(sampleOptionsFromEnv({ ...SECRETS, HTTP_ADAPTER: 'Fastify' }).httpAdapter).toBe(
      'fastify',
    );
    expect(sampleOptionsFromEnv({ ...SECRETS, HTTP_ADAPTER: ' express ' }).httpAdapter).toBe(
      'express',
    );
  });

  it('reads REDIS_CLUSTER_NODES as Redis Cluster seeds, with the key prefix, and logs them', () => {
    const { session, notices } = sampleOptionsFromEnv({
      ...SECRETS,
      REDIS_CLUSTER_NODES: ' 10.0.0.1:7000, redis-b.internal:7001,[::1]:7002 ',
      REDIS_KEY_PREFIX: 'test:',
    });
    expect(session.redis).toEqual({
      cluster: {
        nodes: [
          { host: '10.0.0.1', port: 7000 },
          { host: 'redis-b.internal', port: 7001 },
          { host: '::1', port: 7002 },
        ],
      },
      keyPrefix: 'test:',
    });
    expect(session.repository).toBeUndefined();
    expect(notices).toContainEqual({
      level: 'log',
      message:
        'Sessions are stored in Redis Cluster (seed nodes 10.0.0.1:7000, redis-b.internal:7001, [::1]:7002)',
    });
  });

  it('refuses REDIS_URL and REDIS_CLUSTER_NODES together, and never repeats a bad seed list', () => {
    expect(() =>
      sampleOptionsFromEnv({
        ...SECRETS,
        REDIS_URL: 'redis://h:6379',
        REDIS_CLUSTER_NODES: 'h:7000',
      }),
    ).toThrow(/^Environment variable REDIS_CLUSTER_NODES cannot be set together with REDIS_URL$/);
    const withPassword = (): SampleConfig =>
      sampleOptionsFromEnv({ ...SECRETS, REDIS_CLUSTER_NODES: 'redis://:hunter2@h:7000' });
    expect(withPassword).toThrow(/^Environment variable REDIS_CLUSTER_NODES must be /);
    expect(withPassword).not.toThrow(/hunter2/);
  });

  it('names a bad secret without printing it', () => {
    const short = 'short-secret-hunter2';
    expect(() => sampleOptionsFromEnv({ ACCESS_SECRET: short, REFRESH_SECRET })).toThrow(
      /ACCESS_SECRET must be at least 32 bytes/,
    );
    expect(() => sampleOptionsFromEnv({ ACCESS_SECRET, REFRESH_SECRET: short })).toThrow(
      /REFRESH_SECRET/,
    );
    for (const env of [
      { ACCESS_SECRET: short, REFRESH_SECRET },
      { ACCESS_SECRET, REFRESH_SECRET: ACCESS_SECRET },
    ]) {
      try {
        sampleOptionsFromEnv(env);
        throw new Error('expected a SampleConfigError');
      } catch (error) {
        expect(error).toBeInstanceOf(SampleConfigError);
        expect((error as Error).message).not.toContain('hunter2');
        expect((error as Error).message).not.toContain(ACCESS_SECRET);
      }
    }
  });

  it('never repeats a bad REDIS_URL (it may hold a password)', () => {
    expect(() =>
      sampleOptionsFromEnv({ ...SECRETS, REDIS_URL: 'http://user:hunter2@redis:6379' }),
    ).toThrow(/^Environment variable REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL$/);
  });

  it('makes random 48-byte secrets per process when none are set, with a warning', () => {
    const a = sampleOptionsFromEnv({});
    const b = sampleOptionsFromEnv({});
    const secrets = [
      a.session.accessToken.secret!,
      a.session.refreshToken.secret,
      b.session.accessToken.secret!,
    ];
    for (const secret of secrets) expect(Buffer.byteLength(secret)).toBe(48);
    expect(new Set(secrets.map((s) => Buffer.from(s).toString('hex'))).size).toBe(3);
    const warnings = a.notices.filter((n) => n.level === 'warn').map((n) => n.message);
    expect(warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('ACCESS_SECRET is not set'),
        expect.stringContaining('REFRESH_SECRET is not set'),
        expect.stringContaining('sessions are kept in memory'),
      ]),
    );
  });
});

describe.each(ADAPTERS)('createSampleApp on %s', (adapter) => {
  it('rejects a bad environment with the error naming the variable (no abort)', async () => {
    await expect(
      createSampleApp({ ...SECRETS, HTTP_ADAPTER: adapter, ACCESS_TTL: 'soon' }, { logger: false }),
    ).rejects.toThrow(/^Environment variable ACCESS_TTL /);
  });

  it('runs on the in-memory repository without REDIS_URL, and logs so without printing secrets', async () => {
    const logger = new MemoryLogger();
    const app = await createSampleApp(
      { HTTP_ADAPTER: adapter, RATE_LIMIT_PER_MINUTE: '0' },
      { logger },
    );
    try {
      const server = app.getHttpServer() as Parameters<typeof request>[0];
      const session = await login(server, 'alice');
      const me = await request(server).get('/me').set('Authorization', bearer(session.accessToken));
      expect(me.status).toBe(200);
      const refreshed = await request(server)
        .post('/auth/refresh')
        .set('Cookie', cookieHeader({ refresh_token: session.refreshToken }));
      expect(refreshed.status).toBe(200);

      const log = logger.lines.join('\n');
      expect(log).toMatch(/sessions are kept in memory/);
      expect(log).toMatch(/ACCESS_SECRET is not set/);
      expect(log).toMatch(/REFRESH_SECRET is not set/);
      const { session: options } = app.get<SampleConfig>(SAMPLE_CONFIG);
      for (const secret of [options.accessToken.secret!, options.refreshToken.secret]) {
        const bytes = Buffer.from(secret);
        for (const form of ['base64', 'base64url', 'hex', 'latin1'] as const) {
          expect(log).not.toContain(bytes.toString(form).slice(0, 16));
        }
      }
      for (const token of [session.accessToken, session.refreshToken]) {
        expect(log).not.toContain(token.split('.')[2]);
      }
    } finally {
      await app.close();
    }
  });

  it('runs on the platform that HTTP_ADAPTER names', async () => {
    const app = await createSampleApp(
      { HTTP_ADAPTER: adapter, RATE_LIMIT_PER_MINUTE: '0' },
      { logger: false },
    );
    try {
      expect(app.getHttpAdapter().getType()).toBe(adapter);
    } finally {
      await app.close();
    }
  });

  it('drops the Secure attribute with COOKIE_SECURE=false and keeps the others', async () => {
    const env = e2eEnv('e2e-cookie-insecure', { HTTP_ADAPTER: adapter, COOKIE_SECURE: 'false' });
    const { app, server } = await startApp(env);
    const redis = createTestClient();
    try {
      const res = await request(server)
        .post('/auth/login')
        .send({ username: 'alice', password: 'alice-password-1' });
      expect(res.status).toBe(200);
      for (const name of ['access_token', 'refresh_token']) {
        const cookie = setCookie(res, name);
        expect(cookie.attributes.secure).toBeUndefined();
        expect(cookie.attributes.httponly).toBe(true);
        expect(String(cookie.attributes.samesite).toLowerCase()).toBe('strict');
      }
      const refreshed = await request(server)
        .post('/auth/refresh')
        .set('Cookie', cookieHeader({ refresh_token: setCookie(res, 'refresh_token').value }));
      expect(refreshed.status).toBe(200);
      expect(setCookie(refreshed, 'refresh_token').attributes.secure).toBeUndefined();
    } finally {
      await app.close();
      await deleteByPrefix(redis, env.REDIS_KEY_PREFIX);
      await redis.quit();
    }
  });
});
