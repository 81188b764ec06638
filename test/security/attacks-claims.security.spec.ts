import { randomBytes } from 'node:crypto';
import { Module } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { SafeErrorFilter, SessionModule } from 'nest-redis-sessions';
import { bearer, waitFor, type LoggedIn } from '../support/e2e.js';
import { redisUrl, uniquePrefix } from '../support/redis.js';
import { TestAppController } from '../support/session-app.js';
import {
  ACCESS_ROUTES,
  SECRET,
  TYP,
  claimsOf,
  currentJti,
  ensureLive,
  expectAccessAccepted,
  expectAccessRefused,
  expectRefreshRefused,
  expectRefusal,
  forge,
  hmac,
  mint,
  nowSeconds,
  remember,
  rememberSecret,
  send,
  sessionKey,
  sessionKeysOf,
  signIn,
  store,
  storeState,
  useApp,
  useSampleApp,
  type AttackApp,
  type Claims,
} from '../support/security.js';

const target = useSampleApp('claims');
let alice: LoggedIn;
let bob: LoggedIn;

beforeEach(async () => {
  alice = await ensureLive(target, alice, 'alice');
  bob = await ensureLive(target, bob, 'bob');
});

const YEAR = 365 * 86_400; // seconds

function access(overrides: Claims = {}): Claims {
  return claimsOf(alice.accessToken, overrides);
}

async function refresh(overrides: Claims = {}): Promise<Claims> {
  return claimsOf(bob.refreshToken, { jti: await currentJti(target, bob), ...overrides });
}

describe('positive controls', () => {
  it('accepts access and refresh tokens the test signs with the genuine claims', async () => {
    await expectAccessAccepted(target, mint(access(), SECRET.access), 'alice');
    const spare = await signIn(target, 'bob');
    const token = mint(claimsOf(spare.refreshToken), SECRET.refresh);
    const res = await send(target, 'post', '/auth/refresh').set('Cookie', `refresh_token=${token}`);
    expect(res.status).toBe(200);
    remember(String((res.body as { accessToken?: string }).accessToken));
  });
});

describe('claims: time', () => {
  it('refuses an expired access token, also one expired a second ago', async () => {
    for (const exp of [nowSeconds() - 3600, nowSeconds() - 1]) {
      await expectAccessRefused(target, mint(access({ exp }), SECRET.access), alice);
    }
  });

  it('refuses an expired refresh token', async () => {
    await expectRefreshRefused(
      target,
      mint(await refresh({ exp: nowSeconds() - 1 }), SECRET.refresh),
    );
  });

  it('refuses a token whose nbf is in the future', async () => {
    for (const nbf of [nowSeconds() + 60, nowSeconds() + YEAR]) {
      await expectAccessRefused(target, mint(access({ nbf }), SECRET.access), alice);
    }
    await expectRefreshRefused(
      target,
      mint(await refresh({ nbf: nowSeconds() + 60 }), SECRET.refresh),
    );
  });

  it('refuses a token issued in the future, far or near', async () => {
    for (const iat of [nowSeconds() + 10 * YEAR, nowSeconds() + 120]) {
      await expectAccessRefused(target, mint(access({ iat }), SECRET.access), alice);
      await expectRefreshRefused(target, mint(await refresh({ iat }), SECRET.refresh));
    }
  });

  it('refuses exp and iat that are not integers', async () => {
    const header = { alg: 'HS256', typ: TYP.access };
    const values: Claims[] = [
      { exp: String(nowSeconds() + 600) },
      { exp: nowSeconds() + 600.5 },
      { exp: null },
      { iat: String(nowSeconds()) },
      { iat: true },
    ];
    for (const overrides of values) {
      const token = forge(header, access(overrides), hmac(SECRET.access));
      await expectAccessRefused(target, token, alice);
    }
  });
});

describe('claims: required claims', () => {
  it.each(['exp', 'sub', 'sid', 'jti', 'type', 'iat'])(
    'refuses an access token without %s',
    async (claim) => {
      const token = forge(
        { alg: 'HS256', typ: TYP.access },
        access({ [claim]: undefined }),
        hmac(SECRET.access),
      );
      await expectAccessRefused(target, token, alice);
    },
  );

  it.each(['exp', 'sub', 'sid', 'jti', 'type', 'iat'])(
    'refuses a refresh token without %s',
    async (claim) => {
      const claims = await refresh({ [claim]: undefined });
      const token = forge({ alg: 'HS256', typ: TYP.refresh }, claims, hmac(SECRET.refresh));
      await expectRefreshRefused(target, token);
    },
  );

  it('refuses required claims of the wrong type or shape', async () => {
    const values: Claims[] = [
      { sub: 42 },
      { sub: '' },
      { sub: ['alice'] },
      { sid: 42 },
      { sid: alice.sessionId.split('.')[1] },
      { jti: 42 },
      { jti: 'short' },
      { type: 'ACCESS' },
      { type: ['access'] },
      { role: { admin: true } },
    ];
    for (const overrides of values) {
      const token = forge(
        { alg: 'HS256', typ: TYP.access },
        access(overrides),
        hmac(SECRET.access),
      );
      await expectAccessRefused(target, token, alice);
    }
  });
});

describe('claims: type and typ tell access from refresh', () => {
  it('refuses a genuine refresh token used as an access token', async () => {
    await expectAccessRefused(target, bob.refreshToken, bob);
  });

  it('refuses a genuine access token used as a refresh token (cookie refresh_token=)', async () => {
    await expectRefreshRefused(target, alice.accessToken);
  });

  it('refuses tokens whose typ and type disagree, even signed with the matching key', async () => {
    const accessTokens = [
      mint(access({ type: 'refresh' }), SECRET.access, { kind: 'access' }),
      mint(access(), SECRET.access, { kind: 'refresh' }),
      forge({ alg: 'HS256' }, access(), hmac(SECRET.access)),
      forge({ alg: 'HS256', typ: 'JWT' }, access(), hmac(SECRET.access)),
    ];
    for (const token of accessTokens) await expectAccessRefused(target, token, alice);
    const refreshTokens = [
      mint(await refresh({ type: 'access' }), SECRET.refresh, { kind: 'refresh' }),
      mint(await refresh(), SECRET.refresh, { kind: 'access' }),
      forge({ alg: 'HS256' }, await refresh(), hmac(SECRET.refresh)),
    ];
    for (const token of refreshTokens) await expectRefreshRefused(target, token);
  });
});

describe('claims: the session behind a genuine token', () => {
  it('refuses the tokens of a session ended by logout', async () => {
    const session = await signIn(target, 'alice');
    const res = await send(target, 'post', '/auth/logout').set(
      'Authorization',
      bearer(session.accessToken),
    );
    expect(res.status).toBe(204);
    await expectAccessRefused(target, session.accessToken, session);
    await expectRefreshRefused(target, session.refreshToken);
    expect(await store().exists(sessionKey(target, session.sessionId))).toBe(0);
  });

  it('refuses the tokens of sessions ended by logout-all and by DELETE /auth/sessions/:id', async () => {
    const first = await signIn(target, 'admin');
    const second = await signIn(target, 'admin');
    const removed = await send(target, 'delete', `/auth/sessions/${first.sessionId}`).set(
      'Authorization',
      bearer(second.accessToken),
    );
    expect(removed.status).toBe(204);
    await expectAccessRefused(target, first.accessToken, first);
    await expectRefreshRefused(target, first.refreshToken);

    const all = await send(target, 'post', '/auth/logout-all').set(
      'Authorization',
      bearer(second.accessToken),
    );
    expect(all.status).toBe(204);
    await expectAccessRefused(target, second.accessToken, second);
    await expectRefreshRefused(target, second.refreshToken);
    expect(sessionKeysOf(await storeState(target), target, 'admin')).toEqual([]);
  });

  it('refuses a token whose sub does not own its sid, signed with the real keys', async () => {
    const bobUser = bob.sessionId.split('.')[0] ?? '';
    const aliceRandom = alice.sessionId.split('.')[1] ?? '';
    const tokens = [
      mint(access({ sub: 'bob' }), SECRET.access),
      mint(access({ sub: 'admin', role: 'admin' }), SECRET.access),
      mint(access({ sid: bob.sessionId }), SECRET.access),
      mint(access({ sub: 'bob', sid: `${bobUser}.${aliceRandom}` }), SECRET.access),
      // 'YWxpY2V' decodes to "alice" too (non-zero padding bits): not the canonical id.
      mint(access({ sid: `YWxpY2V.${aliceRandom}` }), SECRET.access),
    ];
    for (const token of tokens) await expectAccessRefused(target, token, alice);

    const jti = await currentJti(target, alice);
    const stolen = claimsOf(alice.refreshToken, { sub: 'bob', jti });
    await expectRefreshRefused(target, mint(stolen, SECRET.refresh));
    expect(await currentJti(target, alice)).toBe(jti);
  });
});

describe('claims: sessions evicted or expired by the store', () => {
  const evicting = useSampleApp('claims-evict', { MAX_SESSIONS_PER_USER: '1' });
  const idle = useSampleApp('claims-idle', { IDLE_TIMEOUT: '1s' });
  const absolute = useSampleApp('claims-absolute', { ABSOLUTE_TIMEOUT: '1s' });

  it('refuses the tokens of a session evicted by a login past MAX_SESSIONS_PER_USER', async () => {
    const first = await signIn(evicting, 'alice');
    const second = await signIn(evicting, 'alice');
    await expectAccessRefused(evicting, first.accessToken, first);
    await expectRefreshRefused(evicting, first.refreshToken);
    await expectAccessAccepted(evicting, second.accessToken, 'alice');
  });

  it.each([
    ['idle timeout', () => idle],
    ['absolute timeout', () => absolute],
  ])('refuses the tokens of a session past its %s', async (_case, app) => {
    const expiring = app();
    const session = await signIn(expiring, 'alice');
    const key = sessionKey(expiring, session.sessionId);
    // The genuine tokens expire with the session (their exp is floored to the second, so a
    // little before it); the same claims re-signed with a later exp test the store alone.
    const later = nowSeconds() + 600;
    const resignedAccess = mint(claimsOf(session.accessToken, { exp: later }), SECRET.access);
    const jti = await currentJti(expiring, session);
    const resignedRefresh = mint(
      claimsOf(session.refreshToken, { exp: later, jti }),
      SECRET.refresh,
    );
    await waitFor(
      () => store().exists(key),
      (exists) => exists === 0,
      { timeoutMs: 5000, intervalMs: 100, what: 'Redis to expire the session' },
    );
    for (const token of [session.accessToken, resignedAccess]) {
      await expectAccessRefused(expiring, token, session);
    }
    for (const token of [session.refreshToken, resignedRefresh]) {
      await expectRefreshRefused(expiring, token);
    }
  });
});

describe('claims: iss and aud, when configured', () => {
  const ISSUER = 'https://issuer.example';
  const AUDIENCE = 'sample-api';
  const accessSecret = randomBytes(48).toString('base64url');
  const refreshSecret = randomBytes(48).toString('base64url');
  rememberSecret(accessSecret);
  rememberSecret(refreshSecret);
  const prefix = uniquePrefix('attacks-claims-iss');
  const issuing: AttackApp = useApp(prefix, async (logger) => {
    @Module({
      imports: [
        SessionModule.forRoot({
          accessToken: { secret: accessSecret },
          refreshToken: { secret: refreshSecret },
          issuer: ISSUER,
          audience: AUDIENCE,
          redis: { url: redisUrl(), keyPrefix: prefix },
          cookies: { secure: false },
        }),
      ],
      controllers: [TestAppController],
      providers: [{ provide: APP_FILTER, useClass: SafeErrorFilter }],
    })
    class IssuerAppModule {}
    const app = await NestFactory.create(IssuerAppModule, { logger, abortOnError: false });
    await app.init();
    return app;
  });
  /** The routes of this small app: the library's, and its own GET /me (no /admin). */
  const routes = ACCESS_ROUTES.filter(([, path]) => path !== '/admin');
  let session: LoggedIn;

  beforeEach(async () => {
    if (session && (await store().exists(sessionKey(issuing, session.sessionId))) === 1) return;
    const res = await send(issuing, 'post', '/login?user=alice');
    const body = res.body as { accessToken: string; refreshToken: string; sessionId: string };
    session = {
      userId: 'alice',
      sessionId: body.sessionId,
      accessToken: remember(body.accessToken),
      refreshToken: remember(body.refreshToken),
      body: res.body as Record<string, unknown>,
    };
  });

  async function refreshClaims(overrides: Claims): Promise<Claims> {
    return claimsOf(session.refreshToken, {
      jti: await currentJti(issuing, session),
      ...overrides,
    });
  }

  it('accepts its own tokens and ones the test signs with the right iss and aud (control)', async () => {
    expect(claimsOf(session.accessToken)).toMatchObject({ iss: ISSUER, aud: AUDIENCE });
    await expectAccessAccepted(issuing, session.accessToken, 'alice');
    await expectAccessAccepted(issuing, mint(claimsOf(session.accessToken), accessSecret), 'alice');
  });

  it.each([
    ['a wrong iss', { iss: 'https://evil.example' }],
    ['an iss with a trailing slash', { iss: `${ISSUER}/` }],
    ['no iss', { iss: undefined }],
    ['a wrong aud', { aud: 'other-api' }],
    ['an aud list without ours', { aud: ['other-api', 'third-api'] }],
    ['no aud', { aud: undefined }],
  ])('refuses an access token with %s', async (_case, overrides) => {
    const token = mint(claimsOf(session.accessToken, overrides), accessSecret);
    await expectAccessRefused(issuing, token, session, { routes });
  });

  it.each([
    ['a wrong iss', { iss: 'https://evil.example' }],
    ['no iss', { iss: undefined }],
    ['a wrong aud', { aud: 'other-api' }],
    ['no aud', { aud: undefined }],
  ])('refuses a refresh token with %s', async (_case, overrides) => {
    await expectRefreshRefused(issuing, mint(await refreshClaims(overrides), refreshSecret));
  });

  it('refuses a genuine token of an app without iss/aud signed with the same key', async () => {
    const token = mint(
      claimsOf(session.accessToken, { iss: undefined, aud: undefined }),
      accessSecret,
    );
    const res = await send(issuing, 'get', '/me').set('Authorization', bearer(token));
    expectRefusal(res, [token]);
  });
});

describe('claims: after all of the above', () => {
  it('still accepts the genuine tokens', async () => {
    await expectAccessAccepted(target, alice.accessToken, 'alice');
    await expectAccessAccepted(target, bob.accessToken, 'bob');
  });
});
