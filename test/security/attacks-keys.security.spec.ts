import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { LoggedIn } from '../support/e2e.js';
import {
  SECRET,
  TYP,
  b64url,
  claimsOf,
  currentJti,
  ed25519,
  ensureLive,
  expectAccessAccepted,
  expectAccessRefused,
  expectRefreshRefused,
  forge,
  headerOf,
  hmac,
  jwkOf,
  mint,
  rememberSecret,
  replaceSegment,
  send,
  useKeyServer,
  useSampleApp,
  type Claims,
  type Header,
  type Signer,
} from '../support/security.js';

/**
 * The sample app with an Ed25519 key pair (ACCESS_PRIVATE_KEY / ACCESS_PUBLIC_KEY): access tokens
 * are EdDSA with a kid, ACCESS_SECRET still verifies HS256 tokens from before the switch. Every
 * attack below aims at the key selection: kid, alg and the headers that carry or point at keys.
 */
const own = generateKeyPairSync('ed25519');
const privatePem = own.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const publicPem = own.publicKey.export({ format: 'pem', type: 'spki' }).toString();
rememberSecret(privatePem.split('\n')[1]);

const target = useSampleApp('keys', {
  ACCESS_PRIVATE_KEY: privatePem,
  ACCESS_PUBLIC_KEY: publicPem,
});
let alice: LoggedIn;
let bob: LoggedIn;

/** Keys an attacker made: nothing the app knows. */
const attacker = {
  ed: generateKeyPairSync('ed25519'),
  ec: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
};

/** A server that would hand out the attacker's key under the app's own kid. */
const keyServer = useKeyServer(() => ({
  keys: [{ ...jwkOf(attacker.ed.publicKey), kid: ownKid(), use: 'sig' }],
}));

beforeEach(async () => {
  alice = await ensureLive(target, alice, 'alice');
  bob = await ensureLive(target, bob, 'bob');
});

/** The RFC 7638 thumbprint of the app's public key: the kid of its tokens. */
function ownKid(): string {
  const { crv, kty, x } = jwkOf(own.publicKey);
  return createHash('sha256').update(JSON.stringify({ crv, kty, x })).digest('base64url');
}

function es256(privateKey: KeyObject): Signer {
  return (input) =>
    sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString(
      'base64url',
    );
}

function rs256(privateKey: KeyObject): Signer {
  return (input) => sign('sha256', Buffer.from(input), privateKey).toString('base64url');
}

function accessClaims(): Claims {
  return claimsOf(alice.accessToken);
}

function edHeader(extra: Header = {}): Header {
  return { alg: 'EdDSA', typ: TYP.access, kid: ownKid(), ...extra };
}

describe('positive controls', () => {
  it('signs access tokens with EdDSA under the thumbprint kid', () => {
    expect(headerOf(alice.accessToken)).toEqual(edHeader());
  });

  it('accepts a token the test signs with the real private key and kid', async () => {
    await expectAccessAccepted(
      target,
      forge(edHeader(), accessClaims(), ed25519(own.privateKey)),
      'alice',
    );
  });

  it('accepts an HS256 token of ACCESS_SECRET without kid (issued before the switch)', async () => {
    await expectAccessAccepted(target, mint(accessClaims(), SECRET.access), 'alice');
  });
});

describe('positive controls on the passport-jwt route (POST /auth/logout)', () => {
  it('logs out with the genuine EdDSA token', async () => {
    const res = await send(target, 'post', '/auth/logout').set(
      'Authorization',
      `Bearer ${alice.accessToken}`,
    );
    expect(res.status).toBe(204);
  });

  it('logs out with an HS256 token of ACCESS_SECRET without kid', async () => {
    const token = mint(accessClaims(), SECRET.access);
    const res = await send(target, 'post', '/auth/logout').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(204);
  });
});

describe('keys: the algorithm is pinned per key', () => {
  it('refuses HS256 keyed with the public key (PEM, DER, raw, JWK) under its kid or none', async () => {
    const claims = accessClaims();
    const secrets: (string | Buffer)[] = [
      publicPem,
      publicPem.trim(),
      own.publicKey.export({ format: 'der', type: 'spki' }),
      Buffer.from(jwkOf(own.publicKey).x as string, 'base64url'),
      JSON.stringify(jwkOf(own.publicKey)),
    ];
    for (const secret of secrets) {
      for (const header of [
        { alg: 'HS256', typ: TYP.access, kid: ownKid() },
        { alg: 'HS256', typ: TYP.access },
      ]) {
        await expectAccessRefused(target, forge(header, claims, hmac(secret)), alice, {
          carriers: ['bearer'],
        });
      }
    }
  });

  it.each(['none', 'None', 'NONE', ''])('refuses alg %p under the real kid', async (alg) => {
    const claims = accessClaims();
    await expectAccessRefused(target, forge(edHeader({ alg }), claims, ''), alice);
    const signature = alice.accessToken.split('.')[2];
    await expectAccessRefused(target, forge(edHeader({ alg }), claims, signature), alice, {
      carriers: ['bearer'],
    });
  });

  it('refuses ES256, RS256 and PS256 tokens under the EdDSA kid', async () => {
    const claims = accessClaims();
    const tokens = [
      forge(edHeader({ alg: 'ES256' }), claims, es256(attacker.ec.privateKey)),
      forge(edHeader({ alg: 'RS256' }), claims, rs256(attacker.rsa.privateKey)),
      mint(claims, attacker.rsa.privateKey, { algorithm: 'PS256', header: { kid: ownKid() } }),
    ];
    for (const token of tokens) await expectAccessRefused(target, token, alice);
  });

  it('refuses the real EdDSA signature under other spellings of the algorithm', async () => {
    const claims = accessClaims();
    for (const alg of ['Ed25519', 'eddsa', 'EDDSA', 'EdDSA ']) {
      const token = forge(edHeader({ alg }), claims, ed25519(own.privateKey));
      await expectAccessRefused(target, token, alice, { carriers: ['bearer'] });
    }
  });

  it('refuses an EdDSA token under the kid of the HMAC secret, and HS256 under the EdDSA kid', async () => {
    const hmacKid = createHash('sha256')
      .update('nest-redis-sessions hmac kid\0')
      .update(SECRET.access)
      .digest('base64url')
      .slice(0, 16);
    // Control: the secret's own kid with HS256 is accepted (the app derives the same kid).
    await expectAccessAccepted(
      target,
      forge({ alg: 'HS256', typ: TYP.access, kid: hmacKid }, accessClaims(), hmac(SECRET.access)),
      'alice',
    );
    await expectAccessRefused(
      target,
      forge(edHeader({ kid: hmacKid }), accessClaims(), ed25519(own.privateKey)),
      alice,
    );
    await expectAccessRefused(
      target,
      forge({ alg: 'HS256', typ: TYP.access, kid: ownKid() }, accessClaims(), hmac(SECRET.access)),
      alice,
    );
  });
});

describe('keys: a kid only selects among configured keys', () => {
  it('refuses an EdDSA token of the attacker key with the real kid, another kid or none', async () => {
    const claims = accessClaims();
    for (const header of [
      edHeader(),
      edHeader({ kid: 'attacker' }),
      { alg: 'EdDSA', typ: TYP.access },
    ]) {
      await expectAccessRefused(
        target,
        forge(header, claims, ed25519(attacker.ed.privateKey)),
        alice,
      );
    }
  });

  it('refuses the real signature without kid or under an unknown kid', async () => {
    const claims = accessClaims();
    const headers = [{ alg: 'EdDSA', typ: TYP.access }, edHeader({ kid: `${ownKid()}x` })];
    for (const header of headers) {
      await expectAccessRefused(target, forge(header, claims, ed25519(own.privateKey)), alice);
    }
  });

  it.each<[string, unknown]>([
    ['a path', '../../../../dev/null'],
    ['SQL', "' OR '1'='1"],
    ['__proto__', '__proto__'],
    ['constructor', 'constructor'],
    ['toString', 'toString'],
    ['of 2000 characters', 'a'.repeat(2000)],
    ['unicode (a Kelvin sign for K, an accent)', '\u212aid-\u00e9'],
    ['the real kid and a NUL', `${ownKid()}\u0000`],
    [
      'the real kid with a full-width first character',
      ownKid().replace(/^./, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)),
    ],
    ['0', 0],
    ['null', null],
    ['true', true],
    ['an array', ['kid']],
    ['an object', { kid: 'x' }],
  ])('refuses a kid that is %s, signed with the real key', async (_case, kid) => {
    const token = forge(edHeader({ kid }), accessClaims(), ed25519(own.privateKey));
    await expectAccessRefused(target, token, alice, { carriers: ['bearer'] });
  });

  it('refuses a second base64url spelling of a genuine signature', async () => {
    const signature = alice.accessToken.split('.')[2];
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(signature.slice(-1));
    const twin = `${signature.slice(0, -1)}${alphabet[last ^ 2]}`;
    expect(Buffer.from(twin, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    await expectAccessRefused(target, replaceSegment(alice.accessToken, 2, twin), alice);
  });
});

describe('keys: headers that carry or point at keys are never followed', () => {
  it('refuses a token carrying the attacker public key in jwk, signed with it', async () => {
    const token = forge(
      edHeader({ jwk: jwkOf(attacker.ed.publicKey) }),
      accessClaims(),
      ed25519(attacker.ed.privateKey),
    );
    await expectAccessRefused(target, token, alice);
  });

  it('refuses jwk, jku, x5u, x5c and x5t even on a token the real key signed', async () => {
    const extras: Header[] = [
      { jwk: jwkOf(own.publicKey) },
      { jku: `${keyServer.url}/.well-known/jwks.json` },
      { x5u: `${keyServer.url}/cert.pem` },
      { x5c: ['MIIBszCCAVmgAwIBAgIUQ2F0dGFja2VyLWNlcnQ='] },
      { x5t: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      { crit: ['kid'] },
      { crit: ['b64'], b64: false },
      { b64: true },
    ];
    for (const extra of extras) {
      const real = forge(edHeader(extra), accessClaims(), ed25519(own.privateKey));
      await expectAccessRefused(target, real, alice, { carriers: ['bearer'] });
    }
  });

  it('never fetches a jku or x5u of a token signed by the attacker', async () => {
    const claims = accessClaims();
    for (const field of ['jku', 'x5u']) {
      const header = edHeader({ [field]: `${keyServer.url}/.well-known/jwks.json` });
      await expectAccessRefused(
        target,
        forge(header, claims, ed25519(attacker.ed.privateKey)),
        alice,
      );
    }
    expect((await send(target, 'get', '/public')).status).toBe(200);
    expect(keyServer.hits).toEqual([]);
  });
});

describe('keys: refresh tokens stay HMAC', () => {
  it('refuses a refresh token signed with the access private key under its kid', async () => {
    const refresh = claimsOf(bob.refreshToken, { jti: await currentJti(target, bob) });
    const header = { alg: 'EdDSA', typ: TYP.refresh, kid: ownKid() };
    await expectRefreshRefused(target, forge(header, refresh, ed25519(own.privateKey)));
  });

  it('refuses the EdDSA access token presented as a refresh token', async () => {
    await expectRefreshRefused(target, alice.accessToken);
  });

  it('refuses the HMAC refresh token presented as an access token', async () => {
    await expectAccessRefused(target, alice.refreshToken, alice);
  });

  it('refuses refresh claims signed with the access private key, presented as an access token', async () => {
    const refresh = claimsOf(alice.refreshToken);
    await expectAccessRefused(target, forge(edHeader(), refresh, ed25519(own.privateKey)), alice);
    const refreshTyp = edHeader({ typ: TYP.refresh });
    await expectAccessRefused(
      target,
      forge(refreshTyp, accessClaims(), ed25519(own.privateKey)),
      alice,
    );
  });
});

describe('keys: the JWKS', () => {
  it('serves the public key only, under the kid of the tokens', async () => {
    const res = await send(target, 'get', '/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      keys: [{ ...jwkOf(own.publicKey), kid: ownKid(), alg: 'EdDSA', use: 'sig' }],
    });
    expect(res.text).not.toContain(b64url(SECRET.access).slice(0, 16));
    expect(res.text).not.toMatch(/"d":/);
  });

  it('still accepts the genuine tokens after all of the above', async () => {
    await expectAccessAccepted(target, alice.accessToken, 'alice');
    expect(keyServer.hits).toEqual([]);
  });
});
