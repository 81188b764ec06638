import { generateKeyPairSync } from 'node:crypto';
import type { LoggedIn } from '../support/e2e.js';
import {
  SECRET,
  TYP,
  claimsOf,
  currentJti,
  ed25519,
  ensureLive,
  expectAccessAccepted,
  expectAccessRefused,
  expectRefreshRefused,
  forge,
  hmac,
  jwkOf,
  mint,
  send,
  useKeyServer,
  useSampleApp,
  type Claims,
  type Header,
} from '../support/security.js';

const target = useSampleApp('algorithm');
let alice: LoggedIn;
let bob: LoggedIn;

/** Key pairs an attacker generates: nothing the app knows. */
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');

const keyServer = useKeyServer(() => ({
  keys: [{ ...jwkOf(rsa.publicKey), kid: 'attacker', use: 'sig' }],
}));

beforeEach(async () => {
  alice = await ensureLive(target, alice, 'alice');
  bob = await ensureLive(target, bob, 'bob');
});

function accessClaims(): Claims {
  return claimsOf(alice.accessToken);
}

function accessHeader(extra: Header): Header {
  return { alg: 'HS256', typ: TYP.access, ...extra };
}

describe('positive control', () => {
  it('accepts a token the test signs with HS256 and the real key', async () => {
    await expectAccessAccepted(target, mint(accessClaims(), SECRET.access), 'alice');
  });
});

describe('algorithm: only HS256 is accepted', () => {
  it.each(['HS384', 'HS512'] as const)(
    'refuses %s signed with the right secret while HS256 is pinned',
    async (algorithm) => {
      await expectAccessRefused(target, mint(accessClaims(), SECRET.access, { algorithm }), alice);
      const refresh = claimsOf(bob.refreshToken, { jti: await currentJti(target, bob) });
      await expectRefreshRefused(target, mint(refresh, SECRET.refresh, { algorithm }));
    },
  );

  it.each(['hs256', 'Hs256', 'HS256 ', 'HS 256', 'HMAC-SHA256'])(
    'refuses a valid HMAC-SHA256 signature under the header alg %p',
    async (alg) => {
      const token = forge(accessHeader({ alg }), accessClaims(), hmac(SECRET.access));
      await expectAccessRefused(target, token, alice);
    },
  );

  it.each(['RS256', 'RS512', 'PS256', 'ES256', 'ES512', 'EdDSA'])(
    'refuses an HMAC signature by the real key under an %s header (algorithm confusion)',
    async (alg) => {
      const token = forge(accessHeader({ alg }), accessClaims(), hmac(SECRET.access));
      await expectAccessRefused(target, token, alice);
      const refresh = claimsOf(bob.refreshToken, { jti: await currentJti(target, bob) });
      const refreshToken = forge({ alg, typ: TYP.refresh }, refresh, hmac(SECRET.refresh));
      await expectRefreshRefused(target, refreshToken);
    },
  );

  it('refuses genuine RS256, PS256, ES256 and EdDSA tokens from a key pair the attacker made', async () => {
    const claims = accessClaims();
    const tokens = [
      mint(claims, rsa.privateKey, { algorithm: 'RS256' }),
      mint(claims, rsa.privateKey, { algorithm: 'PS256' }),
      mint(claims, ec.privateKey, { algorithm: 'ES256' }),
      forge({ alg: 'EdDSA', typ: TYP.access }, claims, ed25519(ed.privateKey)),
    ];
    for (const token of tokens) await expectAccessRefused(target, token, alice);
  });

  it('refuses HS256 keyed with the public key of a key pair (the classic RS256/HS256 swap)', async () => {
    for (const publicKey of [rsa.publicKey, ec.publicKey]) {
      const pem = publicKey.export({ format: 'pem', type: 'spki' }).toString();
      const token = forge(accessHeader({}), accessClaims(), hmac(pem));
      await expectAccessRefused(target, token, alice);
    }
  });
});

describe('algorithm: key-selecting headers are never followed', () => {
  it('refuses a token carrying its own public key in jwk, signed with it', async () => {
    const claims = accessClaims();
    const rsaToken = mint(claims, rsa.privateKey, {
      algorithm: 'RS256',
      header: { jwk: jwkOf(rsa.publicKey) },
    });
    const octKey = 'attacker-oct-key-0123456789abcdefghijklmnopq';
    const octToken = forge(
      accessHeader({ jwk: { kty: 'oct', k: Buffer.from(octKey).toString('base64url') } }),
      claims,
      hmac(octKey),
    );
    for (const token of [rsaToken, octToken]) await expectAccessRefused(target, token, alice);
  });

  it('refuses a jwk header even on a token the real key signed', async () => {
    const token = mint(accessClaims(), SECRET.access, { header: { jwk: jwkOf(rsa.publicKey) } });
    await expectAccessRefused(target, token, alice);
  });

  it('refuses jku and x5u headers and never fetches their URLs', async () => {
    const claims = accessClaims();
    const urls = {
      jku: `${keyServer.url}/.well-known/jwks.json`,
      x5u: `${keyServer.url}/cert.pem`,
    };
    for (const [field, url] of Object.entries(urls)) {
      const extra = { [field]: url, kid: 'attacker' };
      const tokens = [
        mint(claims, rsa.privateKey, { algorithm: 'RS256', header: extra }),
        mint(claims, SECRET.access, { header: extra }),
      ];
      for (const token of tokens) await expectAccessRefused(target, token, alice);
      const refresh = claimsOf(bob.refreshToken, { jti: await currentJti(target, bob) });
      await expectRefreshRefused(
        target,
        mint(refresh, rsa.privateKey, { algorithm: 'RS256', header: extra }),
      );
    }
    // One more round trip through the app, so that any fetch it had started would have arrived.
    expect((await send(target, 'get', '/public')).status).toBe(200);
    expect(keyServer.hits).toEqual([]);
  });

  it('refuses a kid that points at a file (path traversal), with the empty key and the real one', async () => {
    const claims = accessClaims();
    for (const kid of ['../../../../dev/null', '/dev/null', '../../../../proc/self/environ']) {
      const empty = forge(accessHeader({ kid }), claims, hmac(''));
      const real = forge(accessHeader({ kid }), claims, hmac(SECRET.access));
      for (const token of [empty, real]) await expectAccessRefused(target, token, alice);
    }
  });

  it('refuses SQL-looking and other kid values, whatever key signed the token', async () => {
    const claims = accessClaims();
    const kids: unknown[] = ["' OR '1'='1", "x' UNION SELECT 'key' --", 'access', 0, null];
    for (const kid of kids) {
      for (const key of ['1', 'key', SECRET.access]) {
        const token = forge(accessHeader({ kid }), claims, hmac(key));
        await expectAccessRefused(target, token, alice);
      }
    }
  });

  it('refuses x5c and crit headers on a token the real key signed', async () => {
    const claims = accessClaims();
    const headers: Header[] = [
      { x5c: ['MIIBszCCAVmgAwIBAgIUQ2F0dGFja2VyLWNlcnQ='] },
      { crit: ['exp'] },
      { crit: ['b64'], b64: false },
      { x5t: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA' },
    ];
    for (const header of headers) {
      await expectAccessRefused(target, mint(claims, SECRET.access, { header }), alice);
    }
  });

  it('still accepts the genuine tokens after all of the above', async () => {
    await expectAccessAccepted(target, alice.accessToken, 'alice');
    expect(keyServer.hits).toEqual([]);
  });
});
