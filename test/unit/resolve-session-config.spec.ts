import { randomBytes } from 'node:crypto';
import { resolveSessionConfig } from '../../src/config/resolve-config.js';
import type { SessionModuleOptions } from '../../src/config/session-options.js';
import { MemorySessionRepository } from '../../src/store/memory-session.repository.js';
import { SessionConfigError } from '../../src/session.exceptions.js';
import { randomText } from '../support/secrets.js';

/** Distinctive secrets: no error message may ever contain them. */
const ACCESS_SECRET = 'ACCESS-canary-7f3a9c1e5b2d4f6a8c0e2b4d6f8a0c2e4b6d';
const REFRESH_SECRET = 'REFRESH-canary-9d1b3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e';
const SECRETS = [ACCESS_SECRET, REFRESH_SECRET];

function valid(overrides: Partial<SessionModuleOptions> = {}): SessionModuleOptions {
  return {
    accessToken: { secret: ACCESS_SECRET },
    refreshToken: { secret: REFRESH_SECRET },
    repository: new MemorySessionRepository(),
    ...overrides,
  };
}

/** Options as a JavaScript caller or an env-driven factory could pass them, past the types. */
function loose(options: Record<string, unknown>): SessionModuleOptions {
  return options as unknown as SessionModuleOptions;
}

/** Resolves and returns the `SessionConfigError` thrown, failing the test if none is. */
function configError(
  options: SessionModuleOptions,
  extras?: Parameters<typeof resolveSessionConfig>[1],
): SessionConfigError {
  try {
    resolveSessionConfig(options, extras);
  } catch (error) {
    expect(error).toBeInstanceOf(SessionConfigError);
    return error as SessionConfigError;
  }
  throw new Error('expected resolveSessionConfig to throw');
}

/** Asserts that resolving fails naming `option`, and that no secret leaks into the message. */
function expectRejected(
  options: SessionModuleOptions,
  option: string,
  extras?: Parameters<typeof resolveSessionConfig>[1],
  secrets: readonly string[] = SECRETS,
): void {
  const error = configError(options, extras);
  expect(error.name).toBe('SessionConfigError');
  expect(error.message).toContain(`"${option}"`);
  for (const secret of secrets) {
    expect(error.message).not.toContain(secret);
    expect(String(error.stack)).not.toContain(secret);
  }
}

describe('resolveSessionConfig', () => {
  describe('defaults', () => {
    const config = resolveSessionConfig(valid(), {});

    it('gives access tokens 15 minutes and refresh tokens 7 days', () => {
      expect(config.access.ttlMs).toBe(15 * 60_000);
      expect(config.refresh.ttlMs).toBe(7 * 86_400_000);
    });

    it('pins HS256 for both tokens', () => {
      expect(config.access.algorithm).toBe('HS256');
      expect(config.refresh.algorithm).toBe('HS256');
    });

    it('keeps a rotated refresh token usable for a 10 second grace', () => {
      expect(config.refresh.reuseGraceMs).toBe(10_000);
    });

    it('ends idle sessions after 7 days and every session after 30 days', () => {
      expect(config.idleTimeoutMs).toBe(7 * 86_400_000);
      expect(config.absoluteTimeoutMs).toBe(30 * 86_400_000);
    });

    it('allows unlimited sessions per user and no clock tolerance', () => {
      expect(config.maxSessionsPerUser).toBe(0);
      expect(config.clockToleranceMs).toBe(0);
    });

    it('sets no issuer, audience, custom claims or extra origins', () => {
      expect(config.issuer).toBeUndefined();
      expect(config.audience).toBeUndefined();
      expect([...config.customClaims]).toEqual([]);
      expect([...config.allowedOrigins]).toEqual([]);
    });

    it('does not accept refresh tokens from the body', () => {
      expect(config.refresh.acceptFromBody).toBe(false);
    });

    it('writes secure, strict, host-only cookies with the documented names', () => {
      expect(config.cookies).toEqual({
        enabled: true,
        accessName: 'access_token',
        refreshName: 'refresh_token',
        secure: true,
        sameSite: 'strict',
        domain: undefined,
        refreshPath: '/auth',
      });
    });

    it('mounts the routes under /auth', () => {
      expect(config.routePrefix).toBe('auth');
    });

    it('uses the given repository as the store', () => {
      const repository = new MemorySessionRepository();
      expect(resolveSessionConfig(valid({ repository })).store).toEqual({
        kind: 'custom',
        repository,
      });
    });

    it('builds secret KeyObjects holding the secret bytes', () => {
      expect(config.access.key.type).toBe('secret');
      expect(config.access.key.export().toString('utf8')).toBe(ACCESS_SECRET);
      expect(config.refresh.key.export().toString('utf8')).toBe(REFRESH_SECRET);
    });

    it('defaults the Redis key prefix to sess: and the command timeout to 1s', () => {
      const store = resolveSessionConfig(
        valid({ repository: undefined, redis: { url: 'redis://localhost:6379' } }),
      ).store;
      expect(store).toMatchObject({
        kind: 'redis',
        redis: { url: 'redis://localhost:6379', keyPrefix: 'sess:', commandTimeoutMs: 1000 },
      });
    });
  });

  describe('route prefix and refresh cookie path', () => {
    it('puts the refresh cookie under a custom route prefix', () => {
      const config = resolveSessionConfig(valid(), { routes: { prefix: 'custom' } });
      expect(config.routePrefix).toBe('custom');
      expect(config.cookies.refreshPath).toBe('/custom');
    });

    it('strips slashes around the route prefix', () => {
      const config = resolveSessionConfig(valid(), { routes: { prefix: '/api/auth/' } });
      expect(config.routePrefix).toBe('api/auth');
      expect(config.cookies.refreshPath).toBe('/api/auth');
    });

    it('scopes the refresh cookie to / when routes are off', () => {
      const config = resolveSessionConfig(valid(), { routes: false });
      expect(config.routePrefix).toBeNull();
      expect(config.cookies.refreshPath).toBe('/');
    });

    it('refuses a route prefix with characters outside a path', () => {
      expectRejected(valid(), 'routes.prefix', { routes: { prefix: 'auth;evil' } });
    });
  });

  describe('options that are valid', () => {
    it('accepts a refresh ttl longer than the absolute timeout', () => {
      const config = resolveSessionConfig(
        valid({ refreshToken: { secret: REFRESH_SECRET, ttl: '60d' }, absoluteTimeout: '30d' }),
      );
      expect(config.refresh.ttlMs).toBe(60 * 86_400_000);
      expect(config.absoluteTimeoutMs).toBe(30 * 86_400_000);
    });

    it('accepts a reuse grace of 0, meaning none', () => {
      const config = resolveSessionConfig(
        valid({ refreshToken: { secret: REFRESH_SECRET, reuseGrace: 0 } }),
      );
      expect(config.refresh.reuseGraceMs).toBe(0);
    });

    it('accepts an access ttl equal to the refresh ttl', () => {
      const config = resolveSessionConfig(
        valid({
          accessToken: { secret: ACCESS_SECRET, ttl: '1h' },
          refreshToken: { secret: REFRESH_SECRET, ttl: 3_600_000 },
        }),
      );
      expect(config.access.ttlMs).toBe(config.refresh.ttlMs);
    });

    it('accepts a clock tolerance of exactly 30s', () => {
      expect(resolveSessionConfig(valid({ clockTolerance: '30s' })).clockToleranceMs).toBe(30_000);
    });

    it('accepts a secret of exactly 32 bytes for HS256, 48 for HS384 and 64 for HS512', () => {
      const config = resolveSessionConfig(
        valid({
          accessToken: { secret: randomText(48), algorithm: 'HS384' },
          refreshToken: { secret: randomBytes(64), algorithm: 'HS512' },
        }),
      );
      expect(config.access.algorithm).toBe('HS384');
      expect(config.refresh.algorithm).toBe('HS512');
      expect(() =>
        resolveSessionConfig(valid({ accessToken: { secret: randomText(32) } })),
      ).not.toThrow();
    });

    it('keeps listed custom claims and allowed origins (normalised to their origin)', () => {
      const config = resolveSessionConfig(
        valid({
          customClaims: ['tenant', 'plan_id'],
          allowedOrigins: ['https://app.example', 'https://admin.example:8443/some/path'],
        }),
      );
      expect([...config.customClaims]).toEqual(['tenant', 'plan_id']);
      expect([...config.allowedOrigins]).toEqual([
        'https://app.example',
        'https://admin.example:8443',
      ]);
    });

    it('accepts sameSite none when cookies are secure', () => {
      const config = resolveSessionConfig(valid({ cookies: { sameSite: 'none' } }));
      expect(config.cookies.sameSite).toBe('none');
    });
  });

  describe('errors', () => {
    it('is a SessionConfigError named SessionConfigError', () => {
      const error = configError(loose({ ...valid(), accessToken: undefined }));
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('SessionConfigError');
    });

    it('refuses options that are not an object', () => {
      expectRejected(loose(null as unknown as Record<string, unknown>), 'options');
    });

    it.each([
      ['missing accessToken', loose({ ...valid(), accessToken: undefined })],
      ['undefined secret', loose({ ...valid(), accessToken: {} })],
      ['empty secret', valid({ accessToken: { secret: '' } })],
      ['null secret', loose({ ...valid(), accessToken: { secret: null } })],
    ])('refuses a %s for the access token', (_case, options) => {
      expectRejected(options, 'accessToken.secret');
    });

    it('refuses a missing refresh secret', () => {
      expectRejected(loose({ ...valid(), refreshToken: {} }), 'refreshToken.secret');
    });

    it('refuses a secret that is neither a string nor a Buffer', () => {
      expectRejected(loose({ ...valid(), accessToken: { secret: 12345 } }), 'accessToken.secret');
    });

    it('refuses an HS256 secret shorter than 32 bytes', () => {
      const short = 'SHORT-canary-31-bytes-xxxxxxxxx';
      expect(Buffer.byteLength(short)).toBe(31);
      expectRejected(valid({ accessToken: { secret: short } }), 'accessToken.secret', undefined, [
        short,
        REFRESH_SECRET,
      ]);
    });

    it('counts secret length in bytes, not characters', () => {
      // 16 two-byte characters: 32 bytes, accepted; 15 of them plus one byte: 31 bytes, refused.
      const twoByte = 'éèêëàâäîïôöûüçñß';
      expect(() => resolveSessionConfig(valid({ accessToken: { secret: twoByte } }))).not.toThrow();
      expectRejected(
        valid({ refreshToken: { secret: `${twoByte.slice(0, 15)}x` } }),
        'refreshToken.secret',
      );
    });

    it('refuses an HS384 secret shorter than 48 bytes', () => {
      const secret = 'HS384-canary-0123456789abcdefghijklmnopqrstu';
      expect(Buffer.byteLength(secret)).toBeGreaterThanOrEqual(32);
      expect(Buffer.byteLength(secret)).toBeLessThan(48);
      expectRejected(
        valid({ accessToken: { secret, algorithm: 'HS384' } }),
        'accessToken.secret',
        undefined,
        [secret],
      );
    });

    it('refuses an HS512 secret shorter than 64 bytes', () => {
      const secret = 'HS512-canary-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ';
      expect(Buffer.byteLength(secret)).toBeGreaterThanOrEqual(48);
      expect(Buffer.byteLength(secret)).toBeLessThan(64);
      expectRejected(
        valid({ refreshToken: { secret, algorithm: 'HS512' } }),
        'refreshToken.secret',
        undefined,
        [secret],
      );
    });

    it('refuses a short Buffer secret', () => {
      expectRejected(valid({ accessToken: { secret: Buffer.alloc(31, 1) } }), 'accessToken.secret');
    });

    it.each([['none'], ['RS256'], ['hs256'], ['toString'], ['constructor'], ['__proto__']])(
      'refuses the signing algorithm %p',
      (algorithm) => {
        expectRejected(
          loose({ ...valid(), accessToken: { secret: ACCESS_SECRET, algorithm } }),
          'accessToken.algorithm',
        );
      },
    );

    it('refuses the same secret for access and refresh tokens', () => {
      expectRejected(
        valid({ refreshToken: { secret: ACCESS_SECRET } }),
        'refreshToken.secret',
        undefined,
        [ACCESS_SECRET],
      );
    });

    it('refuses the same secret bytes given once as a string and once as a Buffer', () => {
      expectRejected(
        valid({ refreshToken: { secret: Buffer.from(ACCESS_SECRET, 'utf8') } }),
        'refreshToken.secret',
        undefined,
        [ACCESS_SECRET],
      );
    });

    it.each([
      ['accessToken.ttl', valid({ accessToken: { secret: ACCESS_SECRET, ttl: '15 minutes' } })],
      ['accessToken.ttl', valid({ accessToken: { secret: ACCESS_SECRET, ttl: -1 } })],
      ['accessToken.ttl', valid({ accessToken: { secret: ACCESS_SECRET, ttl: 0 } })],
      ['refreshToken.ttl', valid({ refreshToken: { secret: REFRESH_SECRET, ttl: '1w' } })],
      [
        'refreshToken.reuseGrace',
        valid({ refreshToken: { secret: REFRESH_SECRET, reuseGrace: 'x' } }),
      ],
      ['idleTimeout', valid({ idleTimeout: 'abc' })],
      ['absoluteTimeout', valid({ absoluteTimeout: NaN })],
      ['clockTolerance', valid({ clockTolerance: '-5s' })],
    ])('refuses an unparseable or non-positive duration for %s', (option, options) => {
      expectRejected(options, option);
    });

    it('refuses an access ttl longer than the refresh ttl', () => {
      expectRejected(
        valid({
          accessToken: { secret: ACCESS_SECRET, ttl: '2h' },
          refreshToken: { secret: REFRESH_SECRET, ttl: '1h' },
        }),
        'accessToken.ttl',
      );
    });

    it('refuses a clock tolerance over 30s', () => {
      expectRejected(valid({ clockTolerance: '31s' }), 'clockTolerance');
      expectRejected(valid({ clockTolerance: 30_001 }), 'clockTolerance');
    });

    it.each([[-1], [1.5], [NaN], ['3']])('refuses maxSessionsPerUser %p', (value) => {
      expectRejected(loose({ ...valid(), maxSessionsPerUser: value }), 'maxSessionsPerUser');
    });

    it.each([
      ['sub'],
      ['role'],
      ['sid'],
      ['jti'],
      ['type'],
      ['exp'],
      ['iat'],
      ['nbf'],
      ['iss'],
      ['aud'],
    ])('refuses the registered claim name %p as a custom claim', (name) => {
      expectRejected(valid({ customClaims: ['tenant', name] }), 'customClaims');
    });

    it.each([[''], ['has space'], ['1starts_with_digit'], ['dash-ed'], ['x'.repeat(65)]])(
      'refuses the malformed custom claim name %p',
      (name) => {
        expectRejected(valid({ customClaims: [name] }), 'customClaims');
      },
    );

    it('refuses customClaims that is not an array of strings', () => {
      expectRejected(loose({ ...valid(), customClaims: 'tenant' }), 'customClaims');
      expectRejected(loose({ ...valid(), customClaims: [42] }), 'customClaims');
    });

    it('refuses sameSite none on cookies that are not secure', () => {
      expectRejected(valid({ cookies: { sameSite: 'none', secure: false } }), 'cookies.sameSite');
    });

    it('refuses an unknown sameSite value', () => {
      expectRejected(loose({ ...valid(), cookies: { sameSite: 'loose' } }), 'cookies.sameSite');
    });

    it('refuses one name for both cookies', () => {
      expectRejected(
        valid({ cookies: { accessName: 'tok', refreshName: 'tok' } }),
        'cookies.refreshName',
      );
    });

    it('refuses an invalid cookie name', () => {
      expectRejected(valid({ cookies: { accessName: 'a b;c' } }), 'cookies.accessName');
    });

    it.each([['null'], ['*'], ['not a url'], ['file:///etc/passwd'], ['']])(
      'refuses the allowed origin %p',
      (origin) => {
        expectRejected(valid({ allowedOrigins: [origin] }), 'allowedOrigins');
      },
    );

    it('refuses allowedOrigins that is not an array', () => {
      expectRejected(
        loose({ ...valid(), allowedOrigins: 'https://app.example' }),
        'allowedOrigins',
      );
    });

    it('refuses a config with neither redis nor a repository', () => {
      expectRejected(valid({ repository: undefined }), 'redis');
    });

    it('refuses a config with both redis and a repository', () => {
      expectRejected(valid({ redis: { url: 'redis://localhost:6379' } }), 'repository');
    });

    it('refuses a repository that does not extend SessionRepository', () => {
      expectRejected(loose({ ...valid(), repository: { isLive: () => true } }), 'repository');
    });

    it.each([
      ['url and options', { url: 'redis://localhost:6379', options: { port: 6379 } }],
      ['url and client', { url: 'redis://localhost:6379', client: {} }],
      ['options and client', { options: {}, client: {} }],
      ['none of them', { keyPrefix: 'x:' }],
    ])('refuses redis given %s', (_case, redis) => {
      expectRejected(loose({ ...valid(), repository: undefined, redis }), 'redis');
    });

    it.each([['http://localhost:6379'], ['localhost:6379'], ['redis:/localhost'], ['']])(
      'refuses the redis url %p',
      (url) => {
        expectRejected(valid({ repository: undefined, redis: { url } }), 'redis.url');
      },
    );

    it('accepts rediss:// urls', () => {
      expect(() =>
        resolveSessionConfig(valid({ repository: undefined, redis: { url: 'rediss://h:6380/1' } })),
      ).not.toThrow();
    });

    it.each([['{sess}:'], ['sess{'], ['}']])(
      'refuses the key prefix %p with braces',
      (keyPrefix) => {
        expectRejected(
          valid({ repository: undefined, redis: { url: 'redis://localhost', keyPrefix } }),
          'redis.keyPrefix',
        );
      },
    );

    it('refuses a non-boolean cookies.secure', () => {
      expectRejected(loose({ ...valid(), cookies: { secure: 'false' } }), 'cookies.secure');
    });

    it('refuses an empty issuer or audience', () => {
      expectRejected(valid({ issuer: '' }), 'issuer');
      expectRejected(valid({ audience: '' }), 'audience');
    });
  });

  describe('secret hygiene and rotation', () => {
    it.each([
      ['accessToken.secret', { accessToken: { secret: 'x'.repeat(40) } }],
      ['refreshToken.secret', { refreshToken: { secret: 'change-me-change-me-change-me-now!' } }],
      [
        'accessToken.previousSecrets[1]',
        { accessToken: { secret: randomText(40), previousSecrets: [randomText(40), 'short'] } },
      ],
      [
        'refreshToken.previousSecrets[0]',
        { refreshToken: { secret: randomText(40), previousSecrets: ['0123456789'.repeat(4)] } },
      ],
    ])('refuses a weak or short secret and names %s', (option, overrides) => {
      expectRejected(valid(overrides as Partial<SessionModuleOptions>), option);
    });

    it('refuses a previous refresh secret equal to an access secret', () => {
      const shared = randomText(40);
      expectRejected(
        valid({
          accessToken: { secret: shared },
          refreshToken: { secret: randomText(40), previousSecrets: [shared] },
        }),
        'refreshToken.secret',
      );
    });

    it('verifies with the current key first, then the previous ones', () => {
      const previous = randomText(40);
      const config = resolveSessionConfig(
        valid({ accessToken: { secret: randomText(40), previousSecrets: [previous] } }),
      );
      expect(config.access.verifyKeys).toHaveLength(2);
      expect(config.access.verifyKeys[0].key).toBe(config.access.key);
      expect(config.access.verifyKeys[1].key.export().toString()).toBe(previous);
      expect(config.refresh.verifyKeys.map((entry) => entry.key)).toEqual([config.refresh.key]);
    });
  });

  describe('cookies.prefix', () => {
    it('names the access cookie __Host-… and the refresh cookie __Secure-…', () => {
      const { cookies } = resolveSessionConfig(valid({ cookies: { prefix: true } }));
      expect(cookies.accessName).toBe('__Host-access_token');
      expect(cookies.refreshName).toBe('__Secure-refresh_token');
      expect(cookies.refreshPath).toBe('/auth');
    });

    it('is refused without secure, and with a domain', () => {
      expectRejected(valid({ cookies: { prefix: true, secure: false } }), 'cookies.prefix');
      expectRejected(valid({ cookies: { prefix: true, domain: 'example.com' } }), 'cookies.prefix');
    });
  });
});
