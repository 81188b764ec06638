import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { Controller, Get, Module, UseGuards, type INestApplication } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { Redis } from 'ioredis';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';
import request from 'supertest';
import {
  AccessGuard,
  CurrentSession,
  MemorySessionRepository,
  SessionModule,
  type AccessTokenKey,
  type AsymmetricAlgorithm,
  type SessionModuleExtras,
  type SessionModuleOptions,
  type SessionPrincipal,
} from 'nest-redis-sessions';
import { PassportAccessGuard, SessionPassportModule } from 'nest-redis-sessions/passport';
import { createTestClient, deleteByPrefix, redisUrl, uniquePrefix } from '../support/redis.js';
import {
  REFRESH_SECRET,
  TestAppController,
  cookieHeader,
  cookieValue,
  createTestApp,
  testOptions,
} from '../support/session-app.js';

const ISSUER = 'https://auth.example';
const AUDIENCE = 'api.example';
const PREFIX = uniquePrefix('jwks');

/** A route behind the passport-jwt guard, to check that path with every algorithm too. */
@Controller('passport')
class PassportController {
  @Get('me')
  @UseGuards(PassportAccessGuard)
  me(@CurrentSession() session: SessionPrincipal) {
    return { userId: session.userId };
  }
}

function keyPair(algorithm: AsymmetricAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  if (algorithm === 'EdDSA') return generateKeyPairSync('ed25519');
  if (algorithm === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

function pem(key: KeyObject): string {
  return key.type === 'private'
    ? key.export({ format: 'pem', type: 'pkcs8' }).toString()
    : key.export({ format: 'pem', type: 'spki' }).toString();
}

/** Options with asymmetric access keys, sessions in the test Redis under this file's prefix. */
function keyOptions(keys: AccessTokenKey[]): SessionModuleOptions {
  return testOptions({
    accessToken: { keys },
    refreshToken: { secret: REFRESH_SECRET },
    redis: { url: redisUrl(), keyPrefix: PREFIX },
    issuer: ISSUER,
    audience: AUDIENCE,
  });
}

/** The app listening on a real port (jose fetches the JWKS over HTTP), and its base URL. */
async function listening(
  options: SessionModuleOptions,
  extras: SessionModuleExtras = { jwks: {} },
): Promise<{ app: INestApplication; url: string }> {
  @Module({
    imports: [SessionModule.forRoot({ ...options, ...extras }), SessionPassportModule],
    controllers: [TestAppController, PassportController],
  })
  class KeysAppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [KeysAppModule] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}

async function login(app: INestApplication, user = 'alice') {
  const res = await request(app.getHttpServer()).post(`/login?user=${user}`).expect(201);
  return {
    accessToken: (res.body as { accessToken: string }).accessToken,
    cookies: cookieHeader(res.headers['set-cookie']),
  };
}

function header(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as Record<
    string,
    unknown
  >;
}

let redis: Redis;
beforeAll(() => {
  redis = createTestClient();
});
afterAll(async () => {
  await deleteByPrefix(redis, PREFIX);
  await redis.quit();
});

describe.each<AsymmetricAlgorithm>(['EdDSA', 'ES256', 'RS256'])('JWKS with %s', (algorithm) => {
  const pair = keyPair(algorithm);
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await listening(
      keyOptions([{ algorithm, privateKey: pem(pair.privateKey), publicKey: pem(pair.publicKey) }]),
    ));
  });
  afterAll(async () => app.close());

  it('publishes the public key with kid, alg and use, cacheable, and nothing secret', async () => {
    const res = await fetch(`${url}/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(body.keys).toHaveLength(1);
    const jwk = pair.publicKey.export({ format: 'jwk' });
    expect(body.keys[0]).toEqual({ ...jwk, kid: expect.any(String), alg: algorithm, use: 'sig' });
    const text = JSON.stringify(body);
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
      expect(text).not.toContain(`"${member}":`);
    }
    expect(text).not.toContain(Buffer.from(REFRESH_SECRET).toString('base64url').slice(0, 16));
  });

  it('signs access tokens that jose verifies through the JWKS, issuer and audience included', async () => {
    const { accessToken, cookies } = await login(app);
    const jwks = createRemoteJWKSet(new URL(`${url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(accessToken, jwks, {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: [algorithm],
      typ: 'at+jwt',
    });
    expect(payload.sub).toBe('alice');
    expect(protectedHeader).toEqual({ alg: algorithm, typ: 'at+jwt', kid: expect.any(String) });
    await expect(
      jwtVerify(accessToken, jwks, { issuer: ISSUER, audience: 'other-api' }),
    ).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);

    // The refreshed token too; the refresh cookie stays an HMAC token only this service reads.
    const refreshed = await request(app.getHttpServer())
      .post('/auth/refresh')
      .set('Cookie', cookies)
      .expect(200);
    const next = (refreshed.body as { accessToken: string }).accessToken;
    await expect(
      jwtVerify(next, jwks, { issuer: ISSUER, audience: AUDIENCE }),
    ).resolves.toBeDefined();
    const refreshToken = cookieValue(refreshed.headers['set-cookie'], 'refresh_token')!;
    expect(header(refreshToken).alg).toBe('HS256');
  });

  it('authenticates with the token on AccessGuard, PassportAccessGuard and logout', async () => {
    const { accessToken } = await login(app, 'bob');
    const server = app.getHttpServer();
    const auth = { Authorization: `Bearer ${accessToken}` };
    await request(server).get('/me').set(auth).expect(200);
    await request(server).get('/passport/me').set(auth).expect(200, { userId: 'bob' });
    await request(server).post('/auth/logout').set(auth).expect(204);
    await request(server).get('/me').set(auth).expect(401);
    await request(server).get('/passport/me').set(auth).expect(401);
  });

  it('answers hostile tokens of its own key with the one 401 on every guard, never a 500', async () => {
    const { accessToken } = await login(app, 'carol');
    const [head, body] = accessToken.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
    const b64 = (value: object | Buffer) =>
      (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString('base64url');
    const raw = (input: string, dsaEncoding: 'der' | 'ieee-p1363' = 'ieee-p1363') =>
      sign(algorithm === 'EdDSA' ? null : 'sha256', Buffer.from(input), {
        key: pair.privateKey,
        dsaEncoding,
      });
    /** The real key's signature over this header and these claims. */
    const signed = (headerValue: object, payload: object = claims, der = false) => {
      const input = `${b64(headerValue)}.${b64(payload)}`;
      return `${input}.${b64(raw(input, der ? 'der' : 'ieee-p1363'))}`;
    };
    const realHeader = header(accessToken);
    const hs256 = (secret: string | Buffer) => {
      const input = `${b64({ ...realHeader, alg: 'HS256' })}.${body}`;
      return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
    };
    const server = app.getHttpServer();
    const routes = ['/me', '/passport/me'];
    // Control: the test's own signature over the real header and claims is accepted.
    for (const route of routes) {
      await request(server)
        .get(route)
        .set('Authorization', `Bearer ${signed(realHeader)}`)
        .expect(200);
    }
    const now = Math.floor(Date.now() / 1000);
    const hostile = [
      `${head}.${body}.${b64(raw(`${head}.${body}`).subarray(1))}`,
      algorithm === 'ES256' ? signed(realHeader, claims, true) : '',
      `${head}.${body}.`,
      hs256(pem(pair.publicKey)),
      hs256(pair.publicKey.export({ format: 'der', type: 'spki' })),
      signed({ ...realHeader, jku: 'http://127.0.0.1:9/jwks.json' }),
      signed({ ...realHeader, crit: ['b64'], b64: false }),
      signed({ ...realHeader, kid: `${String(realHeader.kid)}x` }),
      signed({ ...realHeader, typ: 'JWT' }),
      signed(realHeader, { ...claims, exp: now - 5, iat: now - 600 }),
      signed(realHeader, { ...claims, nbf: now + 60 }),
      signed(realHeader, { ...claims, type: 'refresh' }),
      signed(realHeader, { ...claims, aud: 'other-api' }),
    ].filter(Boolean);
    for (const token of hostile) {
      for (const route of routes) {
        const res = await request(server).get(route).set('Authorization', `Bearer ${token}`);
        expect([route, res.status, res.body]).toEqual([
          route,
          401,
          { statusCode: 401, message: 'Unauthorized' },
        ]);
      }
    }
  });
});

describe('rotating an access key pair', () => {
  const oldPair = keyPair('EdDSA');
  const newPair = keyPair('ES256');
  const apps: INestApplication[] = [];
  let before: { app: INestApplication; url: string };
  let during: { app: INestApplication; url: string };
  let after: { app: INestApplication; url: string };

  beforeAll(async () => {
    before = await listening(keyOptions([{ algorithm: 'EdDSA', privateKey: oldPair.privateKey }]));
    during = await listening(
      keyOptions([
        { algorithm: 'ES256', privateKey: newPair.privateKey },
        { algorithm: 'EdDSA', publicKey: oldPair.publicKey },
      ]),
    );
    after = await listening(keyOptions([{ algorithm: 'ES256', privateKey: newPair.privateKey }]));
    apps.push(before.app, during.app, after.app);
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  it('verifies old tokens while the old public key is listed, and logs no one out', async () => {
    const alice = await login(before.app);
    const oldKid = header(alice.accessToken).kid;
    const duringJwks = createRemoteJWKSet(new URL(`${during.url}/.well-known/jwks.json`));
    const afterJwks = createRemoteJWKSet(new URL(`${after.url}/.well-known/jwks.json`));

    // During the rotation: the old token still opens the app and still verifies through its JWKS.
    const bearer = { Authorization: `Bearer ${alice.accessToken}` };
    await request(during.app.getHttpServer()).get('/me').set(bearer).expect(200);
    await expect(jwtVerify(alice.accessToken, duringJwks)).resolves.toBeDefined();
    const fresh = await login(during.app, 'bob');
    expect(header(fresh.accessToken)).toMatchObject({ alg: 'ES256' });
    expect(header(fresh.accessToken).kid).not.toBe(oldKid);
    await expect(jwtVerify(fresh.accessToken, duringJwks)).resolves.toBeDefined();

    // After: the old public key is gone, so is the old access token; the refresh cookie still works.
    await request(after.app.getHttpServer()).get('/me').set(bearer).expect(401);
    await expect(jwtVerify(alice.accessToken, afterJwks)).rejects.toBeInstanceOf(
      errors.JWKSNoMatchingKey,
    );
    const refreshed = await request(after.app.getHttpServer())
      .post('/auth/refresh')
      .set('Cookie', alice.cookies)
      .expect(200);
    const renewed = (refreshed.body as { accessToken: string }).accessToken;
    await expect(jwtVerify(renewed, afterJwks)).resolves.toBeDefined();
    await request(after.app.getHttpServer())
      .get('/me')
      .set('Authorization', `Bearer ${renewed}`)
      .expect(200);
  });

  it('lists both keys during the rotation and one after', async () => {
    const kids = async (base: string) =>
      (
        (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: { alg: string }[] }
      ).keys.map((key) => key.alg);
    expect(await kids(during.url)).toEqual(['ES256', 'EdDSA']);
    expect(await kids(after.url)).toEqual(['ES256']);
  });
});

describe('the JWKS route', () => {
  const pair = keyPair('EdDSA');

  it('is off by default', async () => {
    const app = await createTestApp(
      keyOptions([{ algorithm: 'EdDSA', privateKey: pair.privateKey }]),
    );
    try {
      await request(app.getHttpServer()).get('/.well-known/jwks.json').expect(404);
    } finally {
      await app.close();
    }
  });

  it('is refused at start-up with HMAC secrets only', async () => {
    const hmacOnly = testOptions({ repository: new MemorySessionRepository() });
    await expect(createTestApp(hmacOnly, { jwks: {} })).rejects.toThrow(
      /SessionModule option "jwks" needs asymmetric accessToken.keys/,
    );
  });

  it('serves a configured path and max-age, open under a global AccessGuard', async () => {
    @Module({
      imports: [
        SessionModule.forRoot({
          ...keyOptions([{ algorithm: 'EdDSA', privateKey: pair.privateKey }]),
          jwks: { path: '/keys/jwks.json', maxAge: '1h' },
        }),
      ],
      controllers: [TestAppController],
      providers: [{ provide: APP_GUARD, useClass: AccessGuard }],
    })
    class GuardedModule {}
    const moduleRef = await Test.createTestingModule({ imports: [GuardedModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const server = app.getHttpServer();
      const res = await request(server).get('/keys/jwks.json').expect(200);
      expect(res.headers['cache-control']).toBe('public, max-age=3600');
      expect((res.body as { keys: unknown[] }).keys).toHaveLength(1);
      await request(server).get('/me').expect(401);
    } finally {
      await app.close();
    }
  });

  it.each<[string, (app: INestApplication) => void, string, string]>([
    ['the global prefix applies', (app) => app.setGlobalPrefix('api'), '/api', ''],
    [
      'an excluded path stays at the root',
      (app) => app.setGlobalPrefix('api', { exclude: ['.well-known/jwks.json'] }),
      '',
      '/api',
    ],
    ['the routes prefix leaves it at the root', () => undefined, '', '/api/auth'],
  ])('as the README says: %s', async (_case, prefix, served, absent) => {
    @Module({
      imports: [
        SessionModule.forRoot({
          ...keyOptions([{ algorithm: 'EdDSA', privateKey: pair.privateKey }]),
          jwks: {},
          routes: { prefix: 'api/auth' },
        }),
        SessionPassportModule,
      ],
      // Both global guards: the route is @Public() for each.
      providers: [
        { provide: APP_GUARD, useClass: AccessGuard },
        { provide: APP_GUARD, useClass: PassportAccessGuard },
      ],
    })
    class PrefixedModule {}
    const moduleRef = await Test.createTestingModule({ imports: [PrefixedModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    prefix(app);
    await app.init();
    try {
      const server = app.getHttpServer();
      const res = await request(server).get(`${served}/.well-known/jwks.json`).expect(200);
      expect(res.headers['cache-control']).toBe('public, max-age=300');
      expect((res.body as { keys: { alg: string }[] }).keys.map((key) => key.alg)).toEqual([
        'EdDSA',
      ]);
      await request(server).get(`${absent}/.well-known/jwks.json`).expect(404);
    } finally {
      await app.close();
    }
  });

  it('is mounted from forRootAsync too, next to the factory', async () => {
    const options = keyOptions([{ algorithm: 'ES256', privateKey: keyPair('ES256').privateKey }]);
    const moduleRef = await Test.createTestingModule({
      imports: [
        SessionModule.forRootAsync({
          useFactory: () => Promise.resolve(options),
          jwks: { path: '/async/jwks.json' },
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const res = await request(app.getHttpServer()).get('/async/jwks.json').expect(200);
      expect((res.body as { keys: { alg: string }[] }).keys.map((key) => key.alg)).toEqual([
        'ES256',
      ]);
    } finally {
      await app.close();
    }
  });

  it('works on Fastify, where jose verifies the tokens through it too', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        SessionModule.forRoot({
          ...keyOptions([{ algorithm: 'EdDSA', privateKey: pair.privateKey }]),
          jwks: {},
        }),
      ],
      controllers: [TestAppController],
    }).compile();
    const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      logger: false,
    });
    await app.listen(0, '127.0.0.1');
    try {
      const url = await app.getUrl();
      const res = await fetch(`${url}/.well-known/jwks.json`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=300');
      const { accessToken } = await login(app, 'fastify-user');
      const jwks = createRemoteJWKSet(new URL(`${url}/.well-known/jwks.json`));
      const { payload } = await jwtVerify(accessToken, jwks, {
        issuer: ISSUER,
        audience: AUDIENCE,
      });
      expect(payload.sub).toBe('fastify-user');
    } finally {
      await app.close();
    }
  });
});
