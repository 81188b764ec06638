import {
  createHmac,
  createPrivateKey,
  createSecretKey,
  generateKeyPairSync,
  sign,
  type KeyObject,
} from 'node:crypto';
import { calculateJwkThumbprint, importJWK, jwtVerify, type JWK } from 'jose';
import jwt from 'jsonwebtoken';
import { resolveSessionConfig } from '../../src/config/resolve-config.js';
import type {
  AccessTokenKey,
  AsymmetricAlgorithm,
  SessionModuleExtras,
  SessionModuleOptions,
} from '../../src/config/session-options.js';
import { MemorySessionRepository } from '../../src/store/memory-session.repository.js';
import { newSessionId, randomId } from '../../src/store/session-id.js';
import { SessionConfigError, SessionUnauthorizedException } from '../../src/session.exceptions.js';
import { TokenService } from '../../src/tokens/token.service.js';
import { randomText } from '../support/secrets.js';

const ACCESS_SECRET = 'keys-access-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const REFRESH_SECRET = 'keys-refresh-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const USER = 'alice';

type Pair = { privateKey: KeyObject; publicKey: KeyObject };

const PAIRS: Record<AsymmetricAlgorithm, () => Pair> = {
  EdDSA: () => generateKeyPairSync('ed25519'),
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
};
const ALGORITHMS = Object.keys(PAIRS) as AsymmetricAlgorithm[];

function pem(key: KeyObject): string {
  return key.type === 'private'
    ? key.export({ format: 'pem', type: 'pkcs8' }).toString()
    : key.export({ format: 'pem', type: 'spki' }).toString();
}

function options(
  keys: AccessTokenKey[],
  overrides: Partial<SessionModuleOptions> = {},
): SessionModuleOptions {
  return {
    accessToken: { keys },
    refreshToken: { secret: REFRESH_SECRET },
    repository: new MemorySessionRepository(),
    ...overrides,
  };
}

function service(opts: SessionModuleOptions, extras: SessionModuleExtras = {}): TokenService {
  return new TokenService(resolveSessionConfig(opts, extras));
}

function configError(opts: SessionModuleOptions, extras: SessionModuleExtras = {}): Error {
  try {
    resolveSessionConfig(opts, extras);
  } catch (error) {
    expect(error).toBeInstanceOf(SessionConfigError);
    return error as Error;
  }
  throw new Error('expected a SessionConfigError');
}

/** Refused naming `option`, without any of the key material in message or stack. */
function expectRejected(
  opts: SessionModuleOptions,
  option: string,
  material: readonly (KeyObject | string)[] = [],
  extras: SessionModuleExtras = {},
): void {
  const error = configError(opts, extras);
  expect(error.message).toContain(`"${option}"`);
  const text = `${error.message}\n${String(error.stack)}`;
  for (const item of material) {
    const body = (typeof item === 'string' ? item : pem(item))
      .split('\n')
      .filter((line) => line && !line.startsWith('-----'));
    for (const line of body) expect(text).not.toContain(line.slice(0, 24));
  }
}

function signAccess(tokens: TokenService): string {
  const now = Date.now();
  return tokens.signAccess(
    { userId: USER, sessionId: newSessionId(USER), claims: {} },
    now,
    now + 1e9,
  ).token;
}

function decode(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString()) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>,
  };
}

function b64(value: object | Buffer): string {
  return (Buffer.isBuffer(value) ? value : Buffer.from(JSON.stringify(value))).toString(
    'base64url',
  );
}

/** A token over `header` and the payload of `token`, signed by `signer`. */
function resign(token: string, header: object, signer: (input: string) => Buffer): string {
  const input = `${b64(header)}.${token.split('.')[1]}`;
  return `${input}.${b64(signer(input))}`;
}

function expectRefused(tokens: TokenService, token: string): void {
  expect(() => tokens.verifyAccess(token)).toThrow(SessionUnauthorizedException);
}

describe('accessToken.keys', () => {
  describe.each(ALGORITHMS)('%s', (algorithm) => {
    const pair = PAIRS[algorithm]();
    const tokens = service(
      options([{ algorithm, privateKey: pem(pair.privateKey), publicKey: pem(pair.publicKey) }], {
        issuer: 'https://issuer.example',
        audience: 'api.example',
      }),
    );

    it('signs access tokens with alg, typ at+jwt and the RFC 7638 thumbprint as kid', async () => {
      const token = signAccess(tokens);
      const jwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
      expect(decode(token).header).toEqual({
        alg: algorithm,
        typ: 'at+jwt',
        kid: await calculateJwkThumbprint(jwk),
      });
      expect(tokens.verifyAccess(token).userId).toBe(USER);
    });

    it('signs tokens that jose verifies with the public key alone', async () => {
      const token = signAccess(tokens);
      const key = await importJWK(pair.publicKey.export({ format: 'jwk' }) as JWK, algorithm);
      const { payload, protectedHeader } = await jwtVerify(token, key, {
        algorithms: [algorithm],
        issuer: 'https://issuer.example',
        audience: 'api.example',
        typ: 'at+jwt',
      });
      expect(payload.sub).toBe(USER);
      expect(protectedHeader.alg).toBe(algorithm);
    });

    it('keeps signing refresh tokens with the HMAC refresh secret', () => {
      const now = Date.now();
      const sessionId = newSessionId(USER);
      const refresh = tokens.signRefresh(USER, sessionId, randomText(43), now, now + 1e9);
      expect(decode(refresh.token).header.alg).toBe('HS256');
      expect(() =>
        jwt.verify(refresh.token, REFRESH_SECRET, { algorithms: ['HS256'] }),
      ).not.toThrow();
    });

    it('accepts PEM Buffers and KeyObjects, and a public key derived from the private one', () => {
      for (const key of [
        { algorithm, privateKey: Buffer.from(pem(pair.privateKey)) },
        { algorithm, privateKey: pair.privateKey, publicKey: pair.publicKey },
      ]) {
        const other = service(
          options([key], { issuer: 'https://issuer.example', audience: 'api.example' }),
        );
        expect(other.verifyAccess(signAccess(tokens)).userId).toBe(USER);
        expect(tokens.verifyAccess(signAccess(other)).userId).toBe(USER);
      }
    });

    it('refuses the token once its signature, header or payload is edited', () => {
      const token = signAccess(tokens);
      const [header, payload, signature] = token.split('.');
      const edited = b64({ ...decode(token).payload, sub: 'mallory' });
      expectRefused(tokens, `${header}.${edited}.${signature}`);
      expectRefused(
        tokens,
        `${b64({ ...decode(token).header, typ: 'JWT' })}.${payload}.${signature}`,
      );
      const flipped = Buffer.from(signature, 'base64url');
      flipped[0] ^= 1;
      expectRefused(tokens, `${header}.${payload}.${b64(flipped)}`);
      expectRefused(tokens, `${header}.${payload}.`);
    });

    it('refuses a token without kid (only HMAC tokens from before kids may lack one)', () => {
      const token = signAccess(tokens);
      const { header } = decode(token);
      const withoutKid = { alg: header.alg, typ: header.typ };
      const signer = (input: string) =>
        sign(
          algorithm === 'EdDSA' ? null : 'sha256',
          Buffer.from(input),
          algorithm === 'ES256'
            ? { key: pair.privateKey, dsaEncoding: 'ieee-p1363' }
            : pair.privateKey,
        );
      const control = resign(token, header, signer);
      expect(tokens.verifyAccess(control).userId).toBe(USER);
      expectRefused(tokens, resign(token, withoutKid, signer));
    });

    it('refuses HS256 keyed with the public key in any encoding (algorithm confusion)', () => {
      const token = signAccess(tokens);
      const { kid } = decode(token).header;
      const encodings: (string | Buffer)[] = [
        pem(pair.publicKey),
        pair.publicKey.export({ format: 'der', type: 'spki' }),
        JSON.stringify(pair.publicKey.export({ format: 'jwk' })),
      ];
      for (const secret of encodings) {
        for (const header of [
          { alg: 'HS256', typ: 'at+jwt', kid },
          { alg: 'HS256', typ: 'at+jwt' },
        ]) {
          const forged = resign(token, header, (input) =>
            createHmac('sha256', secret).update(input).digest(),
          );
          expectRefused(tokens, forged);
        }
      }
    });

    it('refuses alg none and every other algorithm under its kid', () => {
      const token = signAccess(tokens);
      const { kid } = decode(token).header;
      const [, payload] = token.split('.');
      for (const alg of ['none', 'None', 'HS256', 'RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']) {
        if (alg === algorithm) continue;
        expectRefused(tokens, `${b64({ alg, typ: 'at+jwt', kid })}.${payload}.`);
        expectRefused(
          tokens,
          `${b64({ alg, typ: 'at+jwt', kid })}.${payload}.${token.split('.')[2]}`,
        );
      }
    });

    it('refuses a genuine token of another key pair of the same algorithm under its kid', () => {
      const attacker = PAIRS[algorithm]();
      const theirs = service(options([{ algorithm, privateKey: attacker.privateKey }]));
      const token = signAccess(theirs);
      expectRefused(tokens, token);
      const kid = decode(signAccess(tokens)).header.kid as string;
      const [, payload, signature] = token.split('.');
      expectRefused(tokens, `${b64({ ...decode(token).header, kid })}.${payload}.${signature}`);
    });
  });

  describe('between algorithms', () => {
    const ed = PAIRS.EdDSA();
    const ec = PAIRS.ES256();
    const rsa = PAIRS.RS256();
    const edOnly = service(options([{ algorithm: 'EdDSA', privateKey: ed.privateKey, kid: 'ed' }]));
    const ecOnly = service(options([{ algorithm: 'ES256', privateKey: ec.privateKey, kid: 'ed' }]));

    it('refuses an ES256 token under the kid of an EdDSA key, and the reverse', () => {
      // Same kid, other algorithm and key: the kid never makes a key verify another algorithm.
      expectRefused(edOnly, signAccess(ecOnly));
      expectRefused(ecOnly, signAccess(edOnly));
    });

    it('verifies each token only with the key its kid names, whatever the others', () => {
      const all = service(
        options([
          { algorithm: 'EdDSA', privateKey: ed.privateKey, kid: 'ed-1' },
          { algorithm: 'ES256', publicKey: ec.publicKey, kid: 'ec-1' },
          { algorithm: 'RS256', publicKey: rsa.publicKey, kid: 'rsa-1' },
        ]),
      );
      const ecToken = signAccess(
        service(options([{ algorithm: 'ES256', privateKey: ec.privateKey, kid: 'ec-1' }])),
      );
      const rsaToken = signAccess(
        service(options([{ algorithm: 'RS256', privateKey: rsa.privateKey, kid: 'rsa-1' }])),
      );
      expect(decode(signAccess(all)).header.kid).toBe('ed-1');
      expect(all.verifyAccess(ecToken).userId).toBe(USER);
      expect(all.verifyAccess(rsaToken).userId).toBe(USER);
      // The RS256 token relabelled with the ES256 key's kid (and the reverse) is refused.
      const relabel = (token: string, kid: string) =>
        `${b64({ ...decode(token).header, kid })}.${token.split('.').slice(1).join('.')}`;
      expectRefused(all, relabel(rsaToken, 'ec-1'));
      expectRefused(all, relabel(ecToken, 'rsa-1'));
      expectRefused(all, relabel(ecToken, 'ed-1'));
    });

    it('refuses an ES256 signature in DER form (JWS wants r || s)', () => {
      const token = signAccess(
        service(options([{ algorithm: 'ES256', privateKey: ec.privateKey, kid: 'ec' }])),
      );
      const verifier = service(
        options([{ algorithm: 'ES256', privateKey: ec.privateKey, kid: 'ec' }]),
      );
      const der = resign(token, decode(token).header, (input) =>
        sign('sha256', Buffer.from(input), ec.privateKey),
      );
      expect(verifier.verifyAccess(token).userId).toBe(USER);
      expectRefused(verifier, der);
    });

    it('refuses an Ed448 signature under the kid of an Ed25519 key', () => {
      const ed448 = generateKeyPairSync('ed448');
      const token = signAccess(edOnly);
      expect(edOnly.verifyAccess(token).userId).toBe(USER);
      expectRefused(
        edOnly,
        resign(token, decode(token).header, (input) =>
          sign(null, Buffer.from(input), ed448.privateKey),
        ),
      );
    });

    it('refuses a second spelling of an EdDSA signature (non-canonical base64url)', () => {
      const token = signAccess(edOnly);
      const [header, payload, signature] = token.split('.');
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(signature.slice(-1));
      // 86 characters carry 512 bits: the low 4 bits of the last one are padding.
      const twin = `${signature.slice(0, -1)}${alphabet[last ^ 1]}`;
      expect(Buffer.from(twin, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
      expectRefused(edOnly, `${header}.${payload}.${twin}`);
    });
  });

  describe.each(ALGORITHMS)('claims of %s tokens', (algorithm) => {
    const pair = PAIRS[algorithm]();
    const keys: AccessTokenKey[] = [{ algorithm, privateKey: pair.privateKey, kid: 'k1' }];
    const bound = { issuer: 'https://issuer.example', audience: 'api.example' };
    const strict = service(options(keys, bound));
    const lenient = service(options(keys, { ...bound, clockTolerance: '5s' }));
    const now = () => Math.floor(Date.now() / 1000);

    /** A token of the configured key over exactly these claims (a genuine signature). */
    function token(overrides: Record<string, unknown> = {}): string {
      const claims: Record<string, unknown> = {
        sub: USER,
        sid: newSessionId(USER),
        jti: randomId(),
        type: 'access',
        iat: now(),
        exp: now() + 600,
        iss: bound.issuer,
        aud: bound.audience,
        ...overrides,
      };
      for (const [name, value] of Object.entries(claims)) {
        if (value === undefined) delete claims[name];
      }
      const input = `${b64({ alg: algorithm, typ: 'at+jwt', kid: 'k1' })}.${b64(claims)}`;
      const signature = sign(
        algorithm === 'EdDSA' ? null : 'sha256',
        Buffer.from(input),
        algorithm === 'ES256'
          ? { key: pair.privateKey, dsaEncoding: 'ieee-p1363' }
          : pair.privateKey,
      );
      return `${input}.${b64(signature)}`;
    }

    /** Refused by verifyAccess (which every guard, passport's included, goes through). */
    function refusedBy(tokens: TokenService, value: string): void {
      expectRefused(tokens, value);
    }

    it('accepts the well-formed token (control)', () => {
      expect(strict.verifyAccess(token()).userId).toBe(USER);
    });

    it('refuses an expired token, within the clock tolerance only when one is set', () => {
      const twoSecondsAgo = token({ iat: now() - 600, exp: now() - 2 });
      refusedBy(strict, twoSecondsAgo);
      expect(lenient.verifyAccess(twoSecondsAgo).userId).toBe(USER);
      refusedBy(lenient, token({ iat: now() - 600, exp: now() - 10 }));
    });

    it('refuses nbf and iat ahead of the clock beyond the tolerance', () => {
      refusedBy(strict, token({ nbf: now() + 2 }));
      expect(lenient.verifyAccess(token({ nbf: now() + 2 })).userId).toBe(USER);
      expect(lenient.verifyAccess(token({ iat: now() + 2 })).userId).toBe(USER);
      refusedBy(lenient, token({ nbf: now() + 30 }));
      refusedBy(lenient, token({ iat: now() + 30 }));
      refusedBy(strict, token({ nbf: String(now()) }));
    });

    it.each<[string, Record<string, unknown>]>([
      ['no exp', { exp: undefined }],
      ['a fractional exp', { exp: now() + 600.5 }],
      ['a string exp', { exp: String(now() + 600) }],
      ['no iat', { iat: undefined }],
      ['a wrong iss', { iss: 'https://evil.example' }],
      ['no iss', { iss: undefined }],
      ['a wrong aud', { aud: 'other.example' }],
      ['an aud array', { aud: ['api.example'] }],
      ['type refresh', { type: 'refresh' }],
      ['a sid of another user', { sid: newSessionId('mallory') }],
      ['a custom claim not allowed', { admin: true }],
    ])('refuses %s', (_case, overrides) => {
      refusedBy(strict, token(overrides));
    });
  });

  describe('rotation and migration', () => {
    const oldPair = PAIRS.EdDSA();
    const newPair = PAIRS.EdDSA();
    const before = service(options([{ algorithm: 'EdDSA', privateKey: oldPair.privateKey }]));
    const during = service(
      options([
        { algorithm: 'EdDSA', privateKey: newPair.privateKey },
        { algorithm: 'EdDSA', publicKey: oldPair.publicKey },
      ]),
    );
    const after = service(options([{ algorithm: 'EdDSA', privateKey: newPair.privateKey }]));

    it('signs with the new key and still verifies the old one while it is listed', () => {
      const oldToken = signAccess(before);
      const newToken = signAccess(during);
      expect(decode(newToken).header.kid).not.toBe(decode(oldToken).header.kid);
      expect(during.verifyAccess(oldToken).userId).toBe(USER);
      expect(after.verifyAccess(newToken).userId).toBe(USER);
      expectRefused(after, oldToken);
      expectRefused(before, newToken);
    });

    it('signs with the first key that has a private key (a new public key can be listed first)', () => {
      const prepublished = service(
        options([
          { algorithm: 'EdDSA', publicKey: newPair.publicKey },
          { algorithm: 'EdDSA', privateKey: oldPair.privateKey },
        ]),
      );
      expect(decode(signAccess(prepublished)).header.kid).toBe(
        decode(signAccess(before)).header.kid,
      );
      expect(prepublished.verifyAccess(signAccess(after)).userId).toBe(USER);
    });

    it('keeps HS256 tokens of the secret valid next to a signing key pair, and needs their kid', () => {
      const hmacOnly = service({ ...options([]), accessToken: { secret: ACCESS_SECRET } });
      const migrated = service(
        options([{ algorithm: 'EdDSA', privateKey: newPair.privateKey }], {
          accessToken: {
            secret: ACCESS_SECRET,
            keys: [{ algorithm: 'EdDSA', privateKey: newPair.privateKey }],
          },
        }),
      );
      const legacy = signAccess(hmacOnly);
      expect(decode(signAccess(migrated)).header.alg).toBe('EdDSA');
      expect(migrated.verifyAccess(legacy).userId).toBe(USER);
      const kidless = resign(legacy, { alg: 'HS256', typ: 'at+jwt' }, (input) =>
        createHmac('sha256', ACCESS_SECRET).update(input).digest(),
      );
      // Every token this module ever signed names its key: one without a kid is refused.
      expectRefused(migrated, kidless);
      // The HMAC kid never verifies an EdDSA signature, nor the EdDSA kid an HMAC one.
      const edKid = decode(signAccess(migrated)).header.kid;
      const hsKid = decode(legacy).header.kid;
      expectRefused(
        migrated,
        resign(legacy, { alg: 'HS256', typ: 'at+jwt', kid: edKid }, (input) =>
          createHmac('sha256', ACCESS_SECRET).update(input).digest(),
        ),
      );
      expectRefused(
        migrated,
        resign(legacy, { alg: 'EdDSA', typ: 'at+jwt', kid: hsKid }, (input) =>
          sign(null, Buffer.from(input), newPair.privateKey),
        ),
      );
    });
  });
});

describe('accessToken.keys validation', () => {
  const ed = PAIRS.EdDSA();
  const ec = PAIRS.ES256();
  const rsa = PAIRS.RS256();
  const material = [ed.privateKey, ec.privateKey, rsa.privateKey];

  it.each<[string, string, AccessTokenKey]>([
    [
      'an RSA key for EdDSA',
      'accessToken.keys[0].privateKey',
      { algorithm: 'EdDSA', privateKey: rsa.privateKey },
    ],
    [
      'a P-256 key for EdDSA',
      'accessToken.keys[0].publicKey',
      { algorithm: 'EdDSA', publicKey: ec.publicKey },
    ],
    [
      'an Ed448 key for EdDSA',
      'accessToken.keys[0].privateKey',
      { algorithm: 'EdDSA', privateKey: generateKeyPairSync('ed448').privateKey },
    ],
    [
      'an X25519 key for EdDSA',
      'accessToken.keys[0].publicKey',
      { algorithm: 'EdDSA', publicKey: generateKeyPairSync('x25519').publicKey },
    ],
    [
      'an Ed25519 key for ES256',
      'accessToken.keys[0].privateKey',
      { algorithm: 'ES256', privateKey: ed.privateKey },
    ],
    [
      'an Ed25519 key for RS256',
      'accessToken.keys[0].publicKey',
      { algorithm: 'RS256', publicKey: ed.publicKey },
    ],
  ])('refuses %s', (_case, option, key) => {
    expectRejected(options([key]), option, material);
  });

  it('refuses a P-384 key for ES256 and an RSA key under 2048 bits for RS256', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expectRejected(
      options([{ algorithm: 'ES256', privateKey: p384.privateKey }]),
      'accessToken.keys[0].privateKey',
      [p384.privateKey],
    );
    expectRejected(
      options([{ algorithm: 'RS256', privateKey: pem(small.privateKey) }]),
      'accessToken.keys[0].privateKey',
      [small.privateKey],
    );
  });

  it('refuses a private key that does not match its public key', () => {
    const other = PAIRS.EdDSA();
    expectRejected(
      options([
        { algorithm: 'EdDSA', privateKey: pem(ed.privateKey), publicKey: pem(other.publicKey) },
      ]),
      'accessToken.keys[0].privateKey',
      [ed.privateKey],
    );
  });

  it('refuses a private key given as the public key, and a public key as the private one', () => {
    expectRejected(
      options([{ algorithm: 'EdDSA', privateKey: ed.privateKey, publicKey: pem(ed.privateKey) }]),
      'accessToken.keys[0].publicKey',
      [ed.privateKey],
    );
    expectRejected(
      options([{ algorithm: 'EdDSA', privateKey: ed.privateKey, publicKey: ed.privateKey }]),
      'accessToken.keys[0].publicKey',
      [ed.privateKey],
    );
    expectRejected(
      options([{ algorithm: 'EdDSA', privateKey: pem(ed.publicKey) }]),
      'accessToken.keys[0].privateKey',
    );
  });

  it('refuses an HMAC secret KeyObject as either key of a pair (it would publish as "k")', () => {
    const secret = createSecretKey(Buffer.from(ACCESS_SECRET));
    for (const algorithm of ALGORITHMS) {
      expectRejected(options([{ algorithm, publicKey: secret }]), 'accessToken.keys[0].publicKey', [
        ACCESS_SECRET,
      ]);
      expectRejected(
        options([{ algorithm, privateKey: secret }]),
        'accessToken.keys[0].privateKey',
        [ACCESS_SECRET],
      );
    }
  });

  it('refuses garbage, an encrypted PEM and other types as keys without quoting them', () => {
    const encrypted = ed.privateKey
      .export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pass-phrase' })
      .toString();
    const garbled = pem(ed.privateKey).replace(/[A-Za-z]{8}/, 'ZZZZZZZZ');
    for (const privateKey of [encrypted, garbled, 'not a key', Buffer.from('x')]) {
      expectRejected(
        options([{ algorithm: 'EdDSA', privateKey }]),
        'accessToken.keys[0].privateKey',
        [ed.privateKey, garbled, encrypted],
      );
    }
    const loose = (value: unknown) => options([value as AccessTokenKey]);
    expectRejected(loose({ algorithm: 'EdDSA', privateKey: 42 }), 'accessToken.keys[0].privateKey');
    expectRejected(loose({ algorithm: 'EdDSA' }), 'accessToken.keys[0].publicKey');
    expectRejected(loose('key'), 'accessToken.keys[0]');
    expectRejected(loose(null), 'accessToken.keys[0]');
    expectRejected(
      { ...options([]), accessToken: { keys: 'x' as unknown as AccessTokenKey[] } },
      'accessToken.keys',
    );
  });

  it.each(['HS256', 'PS256', 'ES384', 'none', 'Ed25519', 'eddsa', undefined])(
    'refuses the algorithm %p for a key pair',
    (algorithm) => {
      expectRejected(
        options([{ algorithm, privateKey: ed.privateKey } as unknown as AccessTokenKey]),
        'accessToken.keys[0].algorithm',
      );
    },
  );

  it.each(['', 'a'.repeat(65), '../../etc/passwd', "' OR 1=1", 'a b', 'é', 42])(
    'refuses the kid %p',
    (kid) => {
      expectRejected(
        options([{ algorithm: 'EdDSA', privateKey: ed.privateKey, kid } as AccessTokenKey]),
        'accessToken.keys[0].kid',
      );
    },
  );

  it('refuses two keys with one kid, and one key listed twice', () => {
    expectRejected(
      options([
        { algorithm: 'EdDSA', privateKey: ed.privateKey, kid: 'k' },
        { algorithm: 'ES256', publicKey: ec.publicKey, kid: 'k' },
      ]),
      'accessToken.keys[1].kid',
    );
    expectRejected(
      options([
        { algorithm: 'EdDSA', privateKey: ed.privateKey },
        { algorithm: 'EdDSA', publicKey: ed.publicKey },
      ]),
      'accessToken.keys[1].kid',
    );
  });

  it('refuses a key pair under the kid of an HMAC secret, naming the key (not the secret)', () => {
    const hmacKid = resolveSessionConfig({ ...options([]), accessToken: { secret: ACCESS_SECRET } })
      .access.kid;
    for (const key of [
      { algorithm: 'EdDSA', privateKey: ed.privateKey, kid: hmacKid },
      { algorithm: 'EdDSA', publicKey: ed.publicKey, kid: hmacKid },
    ] as AccessTokenKey[]) {
      const withSecret = options([], { accessToken: { secret: ACCESS_SECRET, keys: [key] } });
      expectRejected(withSecret, 'accessToken.keys[0].kid', [ed.privateKey, ACCESS_SECRET]);
    }
  });

  it('needs a signer: a key with a private key, or the secret', () => {
    expectRejected(
      options([{ algorithm: 'EdDSA', publicKey: ed.publicKey }]),
      'accessToken.secret',
    );
    expectRejected(options([]), 'accessToken.secret');
    const verifyOnly = resolveSessionConfig(
      options([{ algorithm: 'EdDSA', publicKey: ed.publicKey }], {
        accessToken: {
          secret: ACCESS_SECRET,
          keys: [{ algorithm: 'EdDSA', publicKey: ed.publicKey }],
        },
      }),
    );
    expect(verifyOnly.access.algorithm).toBe('HS256');
    expect(verifyOnly.access.verifyKeys.map((k) => k.algorithm)).toEqual(['HS256', 'EdDSA']);
  });

  it('still checks the secret next to a key pair', () => {
    expectRejected(
      options([], {
        accessToken: { secret: 'short', keys: [{ algorithm: 'EdDSA', privateKey: ed.privateKey }] },
      }),
      'accessToken.secret',
    );
  });

  it('builds every key object once, at start-up', () => {
    const config = resolveSessionConfig(
      options([{ algorithm: 'RS256', privateKey: pem(rsa.privateKey) }]),
    );
    expect(config.access.key.type).toBe('private');
    expect(config.access.verifyKeys[0].key.type).toBe('public');
    expect(config.access.byKid.get(config.access.kid)).toBe(config.access.verifyKeys[0]);
    expect(config.access.hmacKeys).toEqual([]);
  });
});

describe('jwks extra', () => {
  const ed = PAIRS.EdDSA();
  const rsa = PAIRS.RS256();

  it('is off by default', () => {
    expect(
      resolveSessionConfig(options([{ algorithm: 'EdDSA', privateKey: ed.privateKey }])).jwks,
    ).toBeNull();
  });

  it('lists only public members of every asymmetric key, never the HMAC secret', () => {
    const config = resolveSessionConfig(
      options([], {
        accessToken: {
          secret: ACCESS_SECRET,
          keys: [
            { algorithm: 'EdDSA', privateKey: ed.privateKey, kid: 'ed' },
            { algorithm: 'RS256', publicKey: rsa.publicKey, kid: 'rsa' },
          ],
        },
      }),
      { jwks: {} },
    );
    expect(config.jwks?.path).toBe('.well-known/jwks.json');
    expect(config.jwks?.maxAgeSeconds).toBe(300);
    const edJwk = ed.publicKey.export({ format: 'jwk' });
    const rsaJwk = rsa.publicKey.export({ format: 'jwk' });
    expect(config.jwks?.keys).toEqual([
      { kty: 'OKP', crv: 'Ed25519', x: edJwk.x, kid: 'ed', alg: 'EdDSA', use: 'sig' },
      { kty: 'RSA', n: rsaJwk.n, e: rsaJwk.e, kid: 'rsa', alg: 'RS256', use: 'sig' },
    ]);
    const text = JSON.stringify(config.jwks);
    expect(text).not.toContain(Buffer.from(ACCESS_SECRET).toString('base64url').slice(0, 20));
    expect(text).not.toMatch(/"(d|p|q|dp|dq|qi|k)"/);
  });

  it('is refused with HMAC secrets only', () => {
    const hmacOnly = { ...options([]), accessToken: { secret: ACCESS_SECRET } };
    expectRejected(hmacOnly, 'jwks', [], { jwks: {} });
    expectRejected(hmacOnly, 'jwks', [], { jwks: { path: '/keys' } });
  });

  it.each(['', '/', 'a b', '/../etc', '/x/./y', 'http://evil.example/jwks', '/a?b', 42])(
    'refuses the path %p',
    (path) => {
      expectRejected(
        options([{ algorithm: 'EdDSA', privateKey: ed.privateKey }]),
        'jwks.path',
        [],
        { jwks: { path } as { path: string } },
      );
    },
  );

  it('takes a path with or without the leading slash, and a maxAge', () => {
    const config = resolveSessionConfig(
      options([{ algorithm: 'EdDSA', privateKey: ed.privateKey }]),
      {
        jwks: { path: 'auth/keys.json', maxAge: '1h' },
      },
    );
    expect(config.jwks).toMatchObject({ path: 'auth/keys.json', maxAgeSeconds: 3600 });
    expectRejected(
      options([{ algorithm: 'EdDSA', privateKey: ed.privateKey }]),
      'jwks.maxAge',
      [],
      { jwks: { maxAge: 'soon' } },
    );
    expectRejected(options([{ algorithm: 'EdDSA', privateKey: ed.privateKey }]), 'jwks', [], {
      jwks: 'yes' as unknown as false,
    });
  });

  it('parses a PEM with a private key only once into a KeyObject (no PEM kept around)', () => {
    const config = resolveSessionConfig(
      options([{ algorithm: 'EdDSA', privateKey: pem(ed.privateKey) }]),
    );
    expect(config.access.key.equals(createPrivateKey(pem(ed.privateKey)))).toBe(true);
    expect(JSON.stringify(config.access)).not.toContain('PRIVATE KEY');
  });
});

it('names a short access secret without keys as before', () => {
  expectRejected({ ...options([]), accessToken: { secret: randomText(10) } }, 'accessToken.secret');
});
