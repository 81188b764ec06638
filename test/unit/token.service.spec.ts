import { jest } from '@jest/globals';
import { JwtCodec } from '../../src/tokens/jwt-codec.js';
import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { resolveSessionConfig } from '../../src/config/resolve-config.js';
import type { SessionModuleOptions } from '../../src/config/session-options.js';
import { MemorySessionRepository } from '../../src/store/memory-session.repository.js';
import { newSessionId, randomId } from '../../src/store/session-id.js';
import { SessionUnauthorizedException } from '../../src/session.exceptions.js';
import { hmacKid } from '../../src/tokens/keys.js';
import { TokenService } from '../../src/tokens/token.service.js';
import { randomText } from '../support/secrets.js';

const ACCESS_SECRET = 'unit-access-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const REFRESH_SECRET = 'unit-refresh-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const USER = 'alice';

type Claims = Record<string, unknown>;
type Header = Record<string, unknown>;
type Kind = 'access' | 'refresh';

function service(options: Partial<SessionModuleOptions> = {}): TokenService {
  const config = resolveSessionConfig(
    {
      accessToken: { secret: ACCESS_SECRET },
      refreshToken: { secret: REFRESH_SECRET },
      repository: new MemorySessionRepository(),
      ...options,
    },
    {},
  );
  return new TokenService(config);
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The claims a well-formed token of `kind` carries, with `overrides` applied. */
function claims(kind: Kind, overrides: Claims = {}): Claims {
  const now = nowSeconds();
  return {
    sub: USER,
    sid: newSessionId(USER),
    jti: randomId(),
    type: kind,
    iat: now,
    exp: now + 600,
    ...overrides,
  };
}

function without(object: Claims, key: string): Claims {
  const copy = { ...object };
  delete copy[key];
  return copy;
}

const TYP: Record<Kind, string> = { access: 'at+jwt', refresh: 'JWT' };
const SECRET: Record<Kind, string> = { access: ACCESS_SECRET, refresh: REFRESH_SECRET };

/**
 * Signs with the real jsonwebtoken package: the header is `alg`, `typ` and the `kid` of the
 * secret (as the service writes it), then whatever `options.header` gives.
 */
function mint(
  payload: Claims,
  options: { secret?: string; algorithm?: jwt.Algorithm; header?: Header; kind?: Kind } = {},
): string {
  const kind = options.kind ?? (payload.type === 'refresh' ? 'refresh' : 'access');
  const algorithm = options.algorithm ?? 'HS256';
  return jwt.sign(payload, options.secret ?? SECRET[kind], {
    algorithm,
    header: {
      alg: algorithm,
      typ: TYP[kind],
      kid: hmacKid(createSecretKey(Buffer.from(options.secret ?? SECRET[kind]))),
      ...options.header,
    } as jwt.JwtHeader,
    // jsonwebtoken adds iat unless told not to: a token without iat must stay without it.
    noTimestamp: !('iat' in payload),
  });
}

function b64(value: string | object): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString(
    'base64url',
  );
}

/** The kid the service writes for each kind's secret. */
const KID: Record<Kind, string> = {
  access: hmacKid(createSecretKey(Buffer.from(ACCESS_SECRET))),
  refresh: hmacKid(createSecretKey(Buffer.from(REFRESH_SECRET))),
};

/** `header` with the kid of its kind's secret, unless it names a `kid` itself (even undefined). */
function withKid(header: Header): Header {
  return 'kid' in header
    ? header
    : { ...header, kid: KID[header.typ === 'JWT' ? 'refresh' : 'access'] };
}

/**
 * Builds a token by hand: any header (with the kid of the secret of its `typ` unless it names
 * one), any payload text, HMAC-SHA256 signature (or none).
 */
function forge(header: Header, payload: string | object, secret: string | null): string {
  const input = `${b64(withKid(header))}.${b64(payload)}`;
  const signature =
    secret === null ? '' : createHmac('sha256', secret).update(input).digest('base64url');
  return `${input}.${signature}`;
}

function decode(token: string): { header: Header; payload: Claims } {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as Header,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims,
  };
}

function verify(tokens: TokenService, kind: Kind, token: string): unknown {
  return kind === 'access' ? tokens.verifyAccess(token) : tokens.verifyRefresh(token);
}

function expectRefused(tokens: TokenService, kind: Kind, token: string): void {
  expect(() => verify(tokens, kind, token)).toThrow(SessionUnauthorizedException);
}

describe('TokenService', () => {
  const tokens = service({ customClaims: ['tenant', 'beta', 'level'] });

  describe('signing and verifying', () => {
    it('verifies its own access token and returns the principal', () => {
      const sessionId = newSessionId(USER);
      const now = Date.now();
      const signed = tokens.signAccess(
        { userId: USER, sessionId, role: 'admin', claims: { tenant: 'acme', beta: true } },
        now,
        now + 86_400_000,
      );
      expect(tokens.verifyAccess(signed.token)).toEqual({
        userId: USER,
        sessionId,
        role: 'admin',
        claims: { tenant: 'acme', beta: true },
        accessTokenExpiresAt: signed.expiresAt,
      });
    });

    it('returns no role and no claims for a token signed without them', () => {
      const sessionId = newSessionId(USER);
      const now = Date.now();
      const { token } = tokens.signAccess({ userId: USER, sessionId, claims: {} }, now, now + 1e9);
      const principal = tokens.verifyAccess(token);
      expect(principal.role).toBeUndefined();
      expect(principal.claims).toEqual({});
    });

    it('verifies its own refresh token and returns the session and rotation id', () => {
      const sessionId = newSessionId(USER);
      const jti = randomId();
      const now = Date.now();
      const signed = tokens.signRefresh(USER, sessionId, jti, now, now + 30 * 86_400_000);
      expect(tokens.verifyRefresh(signed.token)).toEqual({
        kind: 'refresh',
        userId: USER,
        sessionId,
        jti,
        expiresAt: signed.expiresAt,
      });
    });

    it('round-trips user ids with braces, colons and unicode', () => {
      for (const userId of ['{a}:b', 'üser:∑', '👩‍💻']) {
        const sessionId = newSessionId(userId);
        const now = Date.now();
        const access = tokens.signAccess({ userId, sessionId, claims: {} }, now, now + 1e9);
        const refresh = tokens.signRefresh(userId, sessionId, randomId(), now, now + 1e9);
        expect(tokens.verifyAccess(access.token).userId).toBe(userId);
        expect(tokens.verifyRefresh(refresh.token).userId).toBe(userId);
      }
    });

    it('gives access tokens the configured ttl', () => {
      const now = Date.now();
      const { token, expiresAt } = tokens.signAccess(
        { userId: USER, sessionId: newSessionId(USER), claims: {} },
        now,
        now + 86_400_000,
      );
      const { payload } = decode(token);
      expect(payload.exp).toBe(Math.floor((now + 15 * 60_000) / 1000));
      expect(payload.iat).toBe(Math.floor(now / 1000));
      expect(expiresAt.getTime()).toBe((payload.exp as number) * 1000);
    });

    it('never lets a token outlive notAfter', () => {
      const now = Date.now();
      const notAfter = now + 60_500;
      const access = tokens.signAccess(
        { userId: USER, sessionId: newSessionId(USER), claims: {} },
        now,
        notAfter,
      );
      const refresh = tokens.signRefresh(USER, newSessionId(USER), randomId(), now, notAfter);
      for (const signed of [access, refresh]) {
        const exp = decode(signed.token).payload.exp as number;
        expect(exp * 1000).toBeLessThanOrEqual(notAfter);
        expect(exp).toBe(Math.floor(notAfter / 1000));
        expect(signed.expiresAt.getTime()).toBeLessThanOrEqual(notAfter);
      }
    });

    it('gives every access token a fresh 256-bit jti', () => {
      const now = Date.now();
      const sessionId = newSessionId(USER);
      const jtis = [1, 2, 3].map(
        () =>
          decode(tokens.signAccess({ userId: USER, sessionId, claims: {} }, now, now + 1e9).token)
            .payload.jti,
      );
      for (const jti of jtis) expect(jti).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(new Set(jtis).size).toBe(3);
    });
  });

  describe('what a token carries', () => {
    const configured = service({
      issuer: 'https://issuer.example',
      audience: 'api.example',
      customClaims: ['tenant'],
    });

    it('signs access tokens with exactly the documented claims', () => {
      const now = Date.now();
      const { token } = tokens.signAccess(
        { userId: USER, sessionId: newSessionId(USER), role: 'user', claims: { tenant: 'acme' } },
        now,
        now + 1e9,
      );
      expect(Object.keys(decode(token).payload).sort()).toEqual(
        ['sub', 'sid', 'jti', 'type', 'role', 'iat', 'exp', 'tenant'].sort(),
      );
      expect(decode(token).payload.type).toBe('access');
    });

    it('leaves role out of an access token for a user without one', () => {
      const now = Date.now();
      const { token } = tokens.signAccess(
        { userId: USER, sessionId: newSessionId(USER), claims: {} },
        now,
        now + 1e9,
      );
      expect(Object.keys(decode(token).payload).sort()).toEqual(
        ['sub', 'sid', 'jti', 'type', 'iat', 'exp'].sort(),
      );
    });

    it('adds iss and aud to access tokens when configured', () => {
      const now = Date.now();
      const { token } = configured.signAccess(
        { userId: USER, sessionId: newSessionId(USER), claims: { tenant: 'acme' } },
        now,
        now + 1e9,
      );
      const { payload } = decode(token);
      expect(Object.keys(payload).sort()).toEqual(
        ['sub', 'sid', 'jti', 'type', 'iat', 'exp', 'iss', 'aud', 'tenant'].sort(),
      );
      expect(payload.iss).toBe('https://issuer.example');
      expect(payload.aud).toBe('api.example');
      expect(configured.verifyAccess(token).claims).toEqual({ tenant: 'acme' });
    });

    it('signs refresh tokens with exactly sub, sid, jti, type, iat and exp', () => {
      const now = Date.now();
      const { token } = tokens.signRefresh(USER, newSessionId(USER), randomId(), now, now + 1e9);
      expect(Object.keys(decode(token).payload).sort()).toEqual(
        ['sub', 'sid', 'jti', 'type', 'iat', 'exp'].sort(),
      );
      expect(decode(token).payload.type).toBe('refresh');
    });

    it('adds iss and aud to refresh tokens when configured', () => {
      const now = Date.now();
      const { token } = configured.signRefresh(
        USER,
        newSessionId(USER),
        randomId(),
        now,
        now + 1e9,
      );
      expect(Object.keys(decode(token).payload).sort()).toEqual(
        ['sub', 'sid', 'jti', 'type', 'iat', 'exp', 'iss', 'aud'].sort(),
      );
      expect(configured.verifyRefresh(token).userId).toBe(USER);
    });

    it('writes exactly {alg, typ, kid} headers: at+jwt for access, JWT for refresh', () => {
      const now = Date.now();
      const sessionId = newSessionId(USER);
      const access = tokens.signAccess({ userId: USER, sessionId, claims: {} }, now, now + 1e9);
      const refresh = tokens.signRefresh(USER, sessionId, randomId(), now, now + 1e9);
      const kid = expect.stringMatching(/^[A-Za-z0-9_-]{16}$/);
      expect(decode(access.token).header).toEqual({ alg: 'HS256', typ: 'at+jwt', kid });
      expect(decode(refresh.token).header).toEqual({ alg: 'HS256', typ: 'JWT', kid });
      expect(decode(access.token).header.kid).not.toBe(decode(refresh.token).header.kid);
    });

    it('derives a stable kid from each secret, the same after a move to previousSecrets', () => {
      const now = Date.now();
      const sessionId = newSessionId(USER);
      const sign = (t: TokenService) =>
        decode(t.signAccess({ userId: USER, sessionId, claims: {} }, now, now + 1e9).token).header
          .kid;
      const other = randomText(48);
      expect(sign(service())).toBe(sign(service()));
      expect(sign(service())).not.toBe(
        sign(service({ accessToken: { secret: other, previousSecrets: [ACCESS_SECRET] } })),
      );
      const old = tokens.signAccess({ userId: USER, sessionId, claims: {} }, now, now + 1e9);
      const rotated = service({ accessToken: { secret: other, previousSecrets: [ACCESS_SECRET] } });
      expect(rotated.verifyAccess(old.token).sessionId).toBe(sessionId);
      // The kid is no spelling of the secret.
      expect(ACCESS_SECRET).not.toContain(String(decode(old.token).header.kid));
    });

    it('signs with the configured algorithm', () => {
      const strong = service({
        accessToken: { secret: randomText(64), algorithm: 'HS512' },
        refreshToken: { secret: randomText(48), algorithm: 'HS384' },
      });
      const now = Date.now();
      const sessionId = newSessionId(USER);
      const access = strong.signAccess({ userId: USER, sessionId, claims: {} }, now, now + 1e9);
      const refresh = strong.signRefresh(USER, sessionId, randomId(), now, now + 1e9);
      expect(decode(access.token).header).toMatchObject({ alg: 'HS512', typ: 'at+jwt' });
      expect(decode(refresh.token).header).toMatchObject({ alg: 'HS384', typ: 'JWT' });
      expect(strong.verifyAccess(access.token).sessionId).toBe(sessionId);
      expect(strong.verifyRefresh(refresh.token).sessionId).toBe(sessionId);
    });
  });

  describe('the test helpers build tokens it accepts', () => {
    // Positive controls: each hostile token below differs from these in one respect only.
    it.each<Kind>(['access', 'refresh'])(
      'accepts a well-formed %s token minted by hand',
      (kind) => {
        expect(() => verify(tokens, kind, mint(claims(kind)))).not.toThrow();
        expect(() =>
          verify(tokens, kind, forge({ alg: 'HS256', typ: TYP[kind] }, claims(kind), SECRET[kind])),
        ).not.toThrow();
      },
    );
  });

  describe('hostile tokens', () => {
    it.each<Kind>(['access', 'refresh'])(
      'refuses unsigned %s tokens with alg none in any spelling',
      (kind) => {
        for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
          expectRefused(tokens, kind, forge({ alg, typ: TYP[kind] }, claims(kind), null));
          expectRefused(tokens, kind, forge({ alg, typ: TYP[kind] }, claims(kind), SECRET[kind]));
        }
      },
    );

    it.each<Kind>(['access', 'refresh'])('refuses %s tokens signed with another key', (kind) => {
      const otherKey = randomBytes(32).toString('base64url');
      expectRefused(tokens, kind, mint(claims(kind), { secret: otherKey }));
    });

    it('refuses an access token presented as a refresh token, and the reverse', () => {
      const now = Date.now();
      const sessionId = newSessionId(USER);
      const access = tokens.signAccess({ userId: USER, sessionId, claims: {} }, now, now + 1e9);
      const refresh = tokens.signRefresh(USER, sessionId, randomId(), now, now + 1e9);
      expectRefused(tokens, 'refresh', access.token);
      expectRefused(tokens, 'access', refresh.token);
    });

    it('refuses a token signed with the refresh key but presented as an access token', () => {
      expectRefused(tokens, 'access', mint(claims('access'), { secret: REFRESH_SECRET }));
    });

    it('refuses a token signed with the access key but presented as a refresh token', () => {
      expectRefused(tokens, 'refresh', mint(claims('refresh'), { secret: ACCESS_SECRET }));
    });

    it('refuses an access-key token whose header typ is JWT (a refresh typ)', () => {
      expectRefused(tokens, 'access', mint(claims('access'), { header: { typ: 'JWT' } }));
    });

    it("refuses an access-key token with typ at+jwt but type 'refresh'", () => {
      expectRefused(
        tokens,
        'access',
        mint(claims('access', { type: 'refresh' }), { kind: 'access' }),
      );
    });

    it("refuses a refresh-key token with typ at+jwt and type 'refresh'", () => {
      expectRefused(tokens, 'refresh', mint(claims('refresh'), { header: { typ: 'at+jwt' } }));
    });

    it("refuses a refresh-key token with typ JWT but type 'access'", () => {
      expectRefused(
        tokens,
        'refresh',
        mint(claims('refresh', { type: 'access' }), { kind: 'refresh' }),
      );
    });

    it.each<Kind>(['access', 'refresh'])('refuses %s tokens without a typ header', (kind) => {
      expectRefused(tokens, kind, forge({ alg: 'HS256' }, claims(kind), SECRET[kind]));
    });

    it.each<[Kind, jwt.Algorithm]>([
      ['access', 'HS384'],
      ['access', 'HS512'],
      ['refresh', 'HS384'],
      ['refresh', 'HS512'],
    ])('refuses %s tokens signed %s with the right secret when HS256 is pinned', (kind, alg) => {
      expectRefused(tokens, kind, mint(claims(kind), { algorithm: alg }));
    });

    it('refuses an HS256 token when HS512 is pinned', () => {
      const secret = randomText(64);
      const strong = service({ accessToken: { secret, algorithm: 'HS512' } });
      expectRefused(strong, 'access', mint(claims('access'), { secret }));
    });

    it('refuses an access token whose payload was edited after signing', () => {
      const now = Date.now();
      const { token } = tokens.signAccess(
        { userId: USER, sessionId: newSessionId(USER), role: 'user', claims: {} },
        now,
        now + 1e9,
      );
      const [header, , signature] = token.split('.');
      const payload = { ...decode(token).payload, role: 'admin' };
      expectRefused(tokens, 'access', `${header}.${b64(payload)}.${signature}`);
    });

    it('refuses a second spelling of an HS256 signature (non-canonical base64url)', () => {
      const now = Date.now();
      const { token } = tokens.signRefresh(USER, newSessionId(USER), randomId(), now, now + 1e9);
      expect(tokens.verifyRefresh(token).userId).toBe(USER);
      const [header, payload, signature] = token.split('.');
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      // 43 characters carry 258 bits for a 256-bit HMAC: the low 2 bits of the last are spare.
      const twin = `${signature.slice(0, -1)}${alphabet[alphabet.indexOf(signature.slice(-1)) ^ 1]}`;
      expect(Buffer.from(twin, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
      expectRefused(tokens, 'refresh', `${header}.${payload}.${twin}`);
    });

    it('refuses a refresh token whose payload was edited after signing', () => {
      const now = Date.now();
      const { token } = tokens.signRefresh(USER, newSessionId(USER), randomId(), now, now + 1e9);
      const [header, , signature] = token.split('.');
      const payload = { ...decode(token).payload, exp: nowSeconds() + 365 * 86_400 };
      expectRefused(tokens, 'refresh', `${header}.${b64(payload)}.${signature}`);
    });

    it('refuses a token whose header was edited after signing', () => {
      const now = Date.now();
      const sessionId = newSessionId(USER);
      const refresh = tokens.signRefresh(USER, sessionId, randomId(), now, now + 1e9);
      const [, payload, signature] = refresh.token.split('.');
      expectRefused(
        tokens,
        'refresh',
        `${b64({ typ: 'JWT', alg: 'HS256' })}.${payload}.${signature}`,
      );
      const access = tokens.signAccess({ userId: USER, sessionId, claims: {} }, now, now + 1e9);
      const [, accessPayload, accessSignature] = access.token.split('.');
      expectRefused(
        tokens,
        'access',
        `${b64({ alg: 'HS256', typ: 'at+jwt', kid: '1' })}.${accessPayload}.${accessSignature}`,
      );
    });

    it.each<Kind>(['access', 'refresh'])('refuses expired %s tokens', (kind) => {
      const now = nowSeconds();
      expectRefused(tokens, kind, mint(claims(kind, { iat: now - 700, exp: now - 1 })));
      expectRefused(tokens, kind, mint(claims(kind, { iat: now - 700, exp: now })));
    });

    it('refuses an access token it accepted before, once it has expired (verified tokens are remembered)', () => {
      const now = Date.now();
      const fresh = service();
      const { token } = fresh.signAccess(
        { userId: USER, sessionId: newSessionId(USER), claims: {} },
        now,
        now + 2_000,
      );
      expect(fresh.verifyAccess(token).userId).toBe(USER);
      expect(fresh.verifyAccess(token).userId).toBe(USER); // a hit
      const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 3_000);
      try {
        expectRefused(fresh, 'access', token);
      } finally {
        clock.mockRestore();
      }
    });

    it('checks a remembered token without decoding or verifying it again, and never remembers a refused one', () => {
      const now = Date.now();
      const fresh = service();
      const { token } = fresh.signAccess(
        { userId: USER, sessionId: newSessionId(USER), claims: {} },
        now,
        now + 60_000,
      );
      const verify = jest.spyOn(JwtCodec.prototype, 'verify');
      try {
        fresh.verifyAccess(token);
        fresh.verifyAccess(token);
        fresh.verifyAccess(token);
        expect(verify).toHaveBeenCalledTimes(1);
        const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
        expectRefused(fresh, 'access', forged);
        expectRefused(fresh, 'access', forged);
        expect(verify).toHaveBeenCalledTimes(3);
      } finally {
        verify.mockRestore();
      }
    });

    it('hands out a new principal for a remembered token: changing one changes no other', () => {
      const now = Date.now();
      const fresh = service({ customClaims: ['tenant'] });
      const { token } = fresh.signAccess(
        { userId: USER, sessionId: newSessionId(USER), claims: { tenant: 't-1' } },
        now,
        now + 60_000,
      );
      const first = fresh.verifyAccess(token);
      first.claims.tenant = 'changed';
      first.accessTokenExpiresAt.setTime(0);
      const second = fresh.verifyAccess(token);
      expect(second.claims).toEqual({ tenant: 't-1' });
      expect(second.accessTokenExpiresAt.getTime()).toBeGreaterThan(now);
    });

    it('refuses a token signed with an exp already past', () => {
      const now = Date.now();
      const { token } = tokens.signAccess(
        { userId: USER, sessionId: newSessionId(USER), claims: {} },
        now - 60_000,
        now - 2_000,
      );
      expectRefused(tokens, 'access', token);
    });

    it.each<Kind>(['access', 'refresh'])(
      'refuses %s tokens not valid before a future nbf',
      (kind) => {
        expectRefused(tokens, kind, mint(claims(kind, { nbf: nowSeconds() + 60 })));
      },
    );

    it.each<Kind>(['access', 'refresh'])('refuses %s tokens issued in the future', (kind) => {
      const now = nowSeconds();
      expectRefused(tokens, kind, mint(claims(kind, { iat: now + 3600, exp: now + 7200 })));
      expectRefused(tokens, kind, mint(claims(kind, { iat: now + 5 })));
    });

    it.each<[Kind, string]>(
      (['access', 'refresh'] as Kind[]).flatMap((kind) =>
        ['exp', 'sub', 'sid', 'jti', 'type', 'iat'].map((claim): [Kind, string] => [kind, claim]),
      ),
    )('refuses %s tokens without %s', (kind, claim) => {
      expectRefused(tokens, kind, mint(without(claims(kind), claim)));
    });

    it.each<[string, Claims]>([
      ['sub as a number', { sub: 42 }],
      ['sub empty', { sub: '' }],
      ['sub as an array', { sub: [USER] }],
      ['exp as a string', { exp: String(nowSeconds() + 600) }],
      ['exp as a fraction', { exp: nowSeconds() + 600.5 }],
      ['exp as null', { exp: null }],
      ['iat as a string', { iat: String(nowSeconds()) }],
      ['sid as a number', { sid: 123 }],
      ['jti as a number', { jti: 123 }],
      ['type as an array', { type: ['access'] }],
      ['role as a number', { role: 1 }],
      ['role as an object', { role: { admin: true } }],
    ])('refuses an access token with %s', (_case, overrides) => {
      expectRefused(
        tokens,
        'access',
        forge({ alg: 'HS256', typ: 'at+jwt' }, claims('access', overrides), ACCESS_SECRET),
      );
    });

    it.each<Kind>(['access', 'refresh'])('refuses %s tokens whose sid does not parse', (kind) => {
      for (const sid of ['not-a-session-id', '', 'YWxpY2U', `YWxpY2U.${'a'.repeat(42)}`]) {
        expectRefused(tokens, kind, mint(claims(kind, { sid })));
      }
    });

    it.each<Kind>(['access', 'refresh'])(
      'refuses %s tokens whose sid belongs to another user than sub',
      (kind) => {
        expectRefused(tokens, kind, mint(claims(kind, { sid: newSessionId('mallory') })));
      },
    );

    it.each<Kind>(['access', 'refresh'])(
      'refuses %s tokens whose jti is not 256-bit base64url',
      (kind) => {
        for (const jti of [
          randomId().slice(1),
          `${randomId()}A`,
          `${randomId().slice(1)}+`,
          `${randomId().slice(1)}=`,
          '1',
          '',
          '00000000-0000-4000-8000-000000000000',
        ]) {
          expectRefused(tokens, kind, mint(claims(kind, { jti })));
        }
      },
    );

    it.each<[Kind, string, unknown]>(
      (['access', 'refresh'] as Kind[]).flatMap((kind) => [
        [kind, 'kid', 'key-1'],
        [kind, 'jku', 'https://evil.example/jwks.json'],
        [kind, 'jwk', { kty: 'oct', k: b64('attacker') }],
        [kind, 'x5u', 'https://evil.example/cert.pem'],
        [kind, 'x5c', ['MIIB']],
        [kind, 'crit', ['exp']],
        [kind, 'cty', 'JWT'],
      ]),
    )('refuses %s tokens with the extra header field %s', (kind, field, value) => {
      expectRefused(
        tokens,
        kind,
        forge({ alg: 'HS256', typ: TYP[kind], [field]: value }, claims(kind), SECRET[kind]),
      );
    });

    describe('with iss and aud configured', () => {
      const strict = service({ issuer: 'https://issuer.example', audience: 'api.example' });
      const good = { iss: 'https://issuer.example', aud: 'api.example' };

      it.each<Kind>(['access', 'refresh'])(
        'accepts %s tokens with the right iss and aud',
        (kind) => {
          expect(() => verify(strict, kind, mint(claims(kind, good)))).not.toThrow();
        },
      );

      it.each<[Kind, string, Claims]>(
        (['access', 'refresh'] as Kind[]).flatMap((kind): [Kind, string, Claims][] => [
          [kind, 'a wrong iss', { ...good, iss: 'https://evil.example' }],
          [kind, 'a wrong aud', { ...good, aud: 'other.example' }],
          [kind, 'no iss', without(good, 'iss')],
          [kind, 'no aud', without(good, 'aud')],
        ]),
      )('refuses %s tokens with %s', (kind, _case, overrides) => {
        expectRefused(
          strict,
          kind,
          mint({ ...without(without(claims(kind), 'iss'), 'aud'), ...overrides }),
        );
      });
    });

    it('refuses an access token with a custom claim not in the allowlist', () => {
      expectRefused(tokens, 'access', mint(claims('access', { isAdmin: true })));
      expectRefused(service(), 'access', mint(claims('access', { tenant: 'acme' })));
    });

    it('refuses an access token with a listed custom claim of a non-scalar value', () => {
      expectRefused(tokens, 'access', mint(claims('access', { tenant: { id: 1 } })));
      expectRefused(tokens, 'access', mint(claims('access', { tenant: ['a'] })));
      expectRefused(tokens, 'access', mint(claims('access', { tenant: null })));
    });

    it('accepts an access token with listed custom claims of scalar values', () => {
      const principal = tokens.verifyAccess(
        mint(claims('access', { tenant: 'acme', beta: false, level: 3 })),
      );
      expect(principal.claims).toEqual({ tenant: 'acme', beta: false, level: 3 });
    });

    it('refuses a validly signed token of 5000 characters unparsed', () => {
      const padding = (length: number): string => 'x'.repeat(length);
      const short = mint(claims('access', { tenant: padding(100) }));
      expect(() => tokens.verifyAccess(short)).not.toThrow();
      const base = mint(claims('access', { tenant: '' })).length;
      const long = mint(claims('access', { tenant: padding(Math.ceil(((5000 - base) * 3) / 4)) }));
      expect(long.length).toBeGreaterThanOrEqual(5000);
      expectRefused(tokens, 'access', long);
      expectRefused(tokens, 'access', 'a'.repeat(5000));
    });

    it.each<Kind>(['access', 'refresh'])(
      'refuses %s tokens whose payload is not a JSON object',
      (kind) => {
        for (const payload of ['"just a string"', '[1,2,3]', '42', 'null', 'true', 'not json']) {
          expectRefused(
            tokens,
            kind,
            forge({ alg: 'HS256', typ: TYP[kind] }, payload, SECRET[kind]),
          );
        }
        const array = JSON.stringify([claims(kind)]);
        expectRefused(tokens, kind, forge({ alg: 'HS256', typ: TYP[kind] }, array, SECRET[kind]));
      },
    );

    it.each<Kind>(['access', 'refresh'])('refuses malformed %s token strings', (kind) => {
      const valid = mint(claims(kind));
      const [h, p, s] = valid.split('.');
      for (const token of [
        '',
        'garbage',
        `${h}.${p}`,
        `${h}.${p}.${s}.${s}`,
        `${h}..${s}`,
        `.${p}.${s}`,
        `${h}.${p}.`,
        `${h}.${p}.${s}x`,
        `${b64('{not json')}.${p}.${s}`,
        ` ${valid}`,
      ]) {
        expectRefused(tokens, kind, token);
      }
    });

    it('refuses a non-string token', () => {
      for (const value of [undefined, null, 42, {}, ['a.b.c']]) {
        expectRefused(tokens, 'access', value as unknown as string);
        expectRefused(tokens, 'refresh', value as unknown as string);
      }
    });

    it('answers every failure with the same 401 body', () => {
      const failures = [
        forge({ alg: 'none', typ: 'at+jwt' }, claims('access'), null),
        mint(claims('access', { iat: nowSeconds() - 700, exp: nowSeconds() - 10 })),
        mint(claims('access'), { secret: REFRESH_SECRET }),
        'garbage',
      ].map((token) => {
        try {
          tokens.verifyAccess(token);
        } catch (error) {
          expect(error).toBeInstanceOf(SessionUnauthorizedException);
          return (error as SessionUnauthorizedException).getResponse();
        }
        throw new Error('expected verifyAccess to throw');
      });
      for (const body of failures) {
        expect(body).toEqual({ statusCode: 401, message: 'Unauthorized' });
      }
    });
  });

  describe('clock tolerance', () => {
    const expiredTwoSecondsAgo = (kind: Kind): string =>
      mint(claims(kind, { iat: nowSeconds() - 600, exp: nowSeconds() - 2 }));

    it.each<Kind>(['access', 'refresh'])(
      'accepts %s tokens expired 2s ago with a 5s tolerance',
      (kind) => {
        expect(() =>
          verify(service({ clockTolerance: '5s' }), kind, expiredTwoSecondsAgo(kind)),
        ).not.toThrow();
      },
    );

    it.each<Kind>(['access', 'refresh'])(
      'refuses %s tokens expired 2s ago with no tolerance',
      (kind) => {
        expectRefused(service({ clockTolerance: 0 }), kind, expiredTwoSecondsAgo(kind));
      },
    );

    it('accepts iat and nbf up to the tolerance ahead, and refuses beyond it', () => {
      const lenient = service({ clockTolerance: '5s' });
      const now = nowSeconds();
      expect(() => lenient.verifyAccess(mint(claims('access', { iat: now + 2 })))).not.toThrow();
      expect(() => lenient.verifyAccess(mint(claims('access', { nbf: now + 2 })))).not.toThrow();
      expectRefused(lenient, 'access', mint(claims('access', { iat: now + 30 })));
      expectRefused(lenient, 'access', mint(claims('access', { nbf: now + 30 })));
    });

    it('refuses a token expired beyond the tolerance', () => {
      const lenient = service({ clockTolerance: '5s' });
      expectRefused(
        lenient,
        'access',
        mint(claims('access', { iat: nowSeconds() - 600, exp: nowSeconds() - 10 })),
      );
    });
  });
});

describe('checks that hold whoever verified the signature', () => {
  // The module's own header and claim checks must refuse on their own what a signature-only
  // verifier would let through, whatever the JWT library's options check.
  const checked = service({
    issuer: 'https://issuer.example',
    audience: 'api.example',
  }) as unknown as {
    checkAccess(decoded: jwt.Jwt): { userId: string };
    checkRefresh(decoded: jwt.Jwt): { userId: string };
  };
  const decoded = (kind: Kind, header: Header, payload: Claims) =>
    ({
      header: withKid({ typ: TYP[kind], ...header }),
      payload,
      signature: '',
    }) as unknown as jwt.Jwt;
  const good = (kind: Kind) => claims(kind, { iss: 'https://issuer.example', aud: 'api.example' });

  it('accepts a well-formed decoded token (control)', () => {
    expect(checked.checkAccess(decoded('access', { alg: 'HS256' }, good('access'))).userId).toBe(
      USER,
    );
    expect(checked.checkRefresh(decoded('refresh', { alg: 'HS256' }, good('refresh'))).userId).toBe(
      USER,
    );
  });

  it.each(['HS384', 'HS512', 'none', 'RS256'])(
    'refuses a header alg of %s when HS256 is pinned',
    (alg) => {
      expect(() => checked.checkAccess(decoded('access', { alg }, good('access')))).toThrow(
        SessionUnauthorizedException,
      );
      expect(() => checked.checkRefresh(decoded('refresh', { alg }, good('refresh')))).toThrow(
        SessionUnauthorizedException,
      );
    },
  );

  it.each([
    ['a wrong iss', { iss: 'https://evil.example' }],
    ['a wrong aud', { aud: 'other-api' }],
    ['no iss', { iss: undefined }],
    ['no aud', { aud: undefined }],
  ])('refuses %s when iss and aud are configured', (_name, overrides) => {
    const payload = { ...good('access'), ...overrides };
    expect(() => checked.checkAccess(decoded('access', { alg: 'HS256' }, payload))).toThrow(
      SessionUnauthorizedException,
    );
  });
});
