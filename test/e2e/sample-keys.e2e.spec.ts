import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import request from 'supertest';
import { sampleOptionsFromEnv } from '../../sample-app/config.js';
import {
  MemoryLogger,
  e2eEnv,
  jwtPayload,
  login,
  me,
  refresh,
  startApp,
  useSampleApp,
} from '../support/e2e.js';

const pair = generateKeyPairSync('ed25519');
const PRIVATE_PEM = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const PUBLIC_PEM = pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
/** A line of the private key's base64 body: it must never reach a log or an error. */
const PRIVATE_BODY = PRIVATE_PEM.split('\n')[1];

function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()) as Record<
    string,
    unknown
  >;
}

describe('sample app with ACCESS_PRIVATE_KEY and ACCESS_PUBLIC_KEY', () => {
  const sample = useSampleApp('sample-keys', {
    ACCESS_PRIVATE_KEY: PRIVATE_PEM,
    ACCESS_PUBLIC_KEY: PUBLIC_PEM,
  });

  it('signs access tokens with EdDSA that jose verifies through the served JWKS', async () => {
    const alice = await login(sample.server, 'alice');
    expect(headerOf(alice.accessToken)).toEqual({
      alg: 'EdDSA',
      typ: 'at+jwt',
      kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const res = await request(sample.server).get('/.well-known/jwks.json').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const jwks = res.body as JSONWebKeySet;
    expect(jwks.keys).toEqual([
      {
        ...pair.publicKey.export({ format: 'jwk' }),
        kid: headerOf(alice.accessToken).kid,
        alg: 'EdDSA',
        use: 'sig',
      },
    ]);
    const { payload } = await jwtVerify(alice.accessToken, createLocalJWKSet(jwks), {
      algorithms: ['EdDSA'],
      typ: 'at+jwt',
    });
    expect(payload.sub).toBe('alice');
  });

  it('runs the HTTP contract unchanged: /me, refresh with the HMAC cookie, /admin roles', async () => {
    const bob = await login(sample.server, 'bob');
    await me(sample.server, bob.accessToken).expect(200);
    const refreshed = await refresh(sample.server, bob.refreshToken).expect(200);
    const next = (refreshed.body as { accessToken: string }).accessToken;
    expect(headerOf(next).alg).toBe('EdDSA');
    expect(headerOf(bob.refreshToken).alg).toBe('HS256');
    expect(jwtPayload(next).sid).toBe(bob.sessionId);
    await request(sample.server).get('/admin').set('Authorization', `Bearer ${next}`).expect(403);
  });
});

describe('sample app key variables', () => {
  it('logs that tokens are EdDSA and never logs the private key', async () => {
    const logger = new MemoryLogger();
    const { app } = await startApp(
      e2eEnv('sample-keys-log', {
        ACCESS_PRIVATE_KEY: PRIVATE_PEM.replace(/\n/g, '\\n'),
        ACCESS_PUBLIC_KEY: PUBLIC_PEM.replace(/\n/g, '\\n'),
      }),
      logger,
    );
    try {
      const log = logger.lines.join('\n');
      expect(log).toMatch(
        /Access tokens are signed with EdDSA; public keys at GET \/\.well-known\/jwks\.json/,
      );
      expect(log).not.toContain(PRIVATE_BODY);
    } finally {
      await app.close();
    }
  });

  it('takes the .env lines of `npm run secret -- --ed25519` as they are', () => {
    const output = execFileSync(
      process.execPath,
      ['bin/nest-redis-sessions-secret.js', '--ed25519'],
      {
        encoding: 'utf8',
      },
    );
    const env: Record<string, string> = {};
    for (const line of output.trim().split('\n')) {
      const match = /^(ACCESS_(?:PRIVATE|PUBLIC)_KEY)="(.+)"$/.exec(line);
      expect(match).not.toBeNull();
      env[match![1]] = match![2];
    }
    const { session, notices } = sampleOptionsFromEnv(env);
    expect(session.accessToken.keys).toEqual([
      { algorithm: 'EdDSA', privateKey: expect.anything(), publicKey: expect.anything() },
    ]);
    expect(session.jwks).toEqual({});
    expect(notices.map((n) => n.message).join('\n')).not.toMatch(/ACCESS_SECRET is not set/);
  });

  it('serves no JWKS without them', async () => {
    const { app } = await startApp(e2eEnv('sample-keys-off'));
    try {
      await request(app.getHttpServer()).get('/.well-known/jwks.json').expect(404);
    } finally {
      await app.close();
    }
  });

  it.each<[string, Record<string, string>, RegExp]>([
    [
      'the private key alone',
      { ACCESS_PRIVATE_KEY: PRIVATE_PEM },
      /^Environment variable ACCESS_PUBLIC_KEY must be set together with ACCESS_PRIVATE_KEY$/,
    ],
    [
      'the public key alone',
      { ACCESS_PUBLIC_KEY: PUBLIC_PEM },
      /^Environment variable ACCESS_PRIVATE_KEY must be set together with ACCESS_PUBLIC_KEY$/,
    ],
    [
      'keys swapped',
      { ACCESS_PRIVATE_KEY: PUBLIC_PEM, ACCESS_PUBLIC_KEY: PRIVATE_PEM },
      /^Environment variable ACCESS_PRIVATE_KEY must be an Ed25519 private key in PEM$/,
    ],
    [
      'the private key as the public key too',
      { ACCESS_PRIVATE_KEY: PRIVATE_PEM, ACCESS_PUBLIC_KEY: PRIVATE_PEM },
      /^Environment variable ACCESS_PUBLIC_KEY must be an Ed25519 public key in PEM$/,
    ],
    [
      'an RSA key',
      {
        ACCESS_PRIVATE_KEY: generateKeyPairSync('rsa', { modulusLength: 2048 })
          .privateKey.export({ format: 'pem', type: 'pkcs8' })
          .toString(),
        ACCESS_PUBLIC_KEY: PUBLIC_PEM,
      },
      /^Environment variable ACCESS_PRIVATE_KEY must be an Ed25519 private key in PEM$/,
    ],
    [
      'a truncated public key',
      { ACCESS_PRIVATE_KEY: PRIVATE_PEM, ACCESS_PUBLIC_KEY: PUBLIC_PEM.slice(0, 40) },
      /^Environment variable ACCESS_PUBLIC_KEY must be an Ed25519 public key in PEM$/,
    ],
    [
      'BENCH',
      { ACCESS_PRIVATE_KEY: PRIVATE_PEM, ACCESS_PUBLIC_KEY: PUBLIC_PEM, BENCH: 'true' },
      /^Environment variable BENCH cannot be combined with ACCESS_PRIVATE_KEY/,
    ],
  ])('refuses %s, naming the variable and never the key', (_case, env, message) => {
    let error: unknown;
    try {
      sampleOptionsFromEnv(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect(`${(error as Error).message}${(error as Error).stack}`).not.toContain(PRIVATE_BODY);
  });

  it('refuses a public key of another pair at start-up, naming the library option', async () => {
    const other = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' });
    await expect(
      startApp(
        e2eEnv('sample-keys-mismatch', {
          ACCESS_PRIVATE_KEY: PRIVATE_PEM,
          ACCESS_PUBLIC_KEY: other.toString(),
        }),
        false,
      ),
    ).rejects.toThrow(/"accessToken\.keys\[0\]\.privateKey" does not match its publicKey/);
  });
});
