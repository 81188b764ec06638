import type { LoggedIn } from '../support/e2e.js';
import {
  SECRET,
  TYP,
  b64url,
  claimsOf,
  currentJti,
  ensureLive,
  expectAccessAccepted,
  expectAccessRefused,
  expectRefreshRefused,
  forge,
  headerOf,
  hmac,
  mint,
  remember,
  rememberResponse,
  replaceSegment,
  send,
  signIn,
  useSampleApp,
} from '../support/security.js';

const target = useSampleApp('signature');
const ATTACKER_KEY = 'attacker-chosen-key-0123456789abcdefghijklmnop';
let alice: LoggedIn;
let bob: LoggedIn;

beforeEach(async () => {
  alice = await ensureLive(target, alice, 'alice');
  bob = await ensureLive(target, bob, 'bob');
});

/** The signature segment of a token. */
function signatureOf(token: string): string {
  return token.split('.')[2] ?? '';
}

describe('positive controls: the forgeries below fail for their one flaw', () => {
  it('accepts a token the test signs with the real key, by jsonwebtoken and by hand', async () => {
    const claims = claimsOf(alice.accessToken);
    await expectAccessAccepted(target, mint(claims, SECRET.access), 'alice');
    const byHand = forge({ alg: 'HS256', typ: TYP.access }, claims, hmac(SECRET.access));
    await expectAccessAccepted(target, byHand, 'alice');
  });
});

describe('signature: access tokens', () => {
  it.each(['none', 'None', 'NONE', 'nOnE'])(
    'refuses alg %s, with no signature and with the genuine one kept',
    async (alg) => {
      const claims = claimsOf(alice.accessToken);
      const header = { alg, typ: TYP.access };
      await expectAccessRefused(target, forge(header, claims, ''), alice);
      await expectAccessRefused(
        target,
        forge(header, claims, signatureOf(alice.accessToken)),
        alice,
      );
    },
  );

  it('refuses alg none with no typ and no trailing dot (the most permissive reading)', async () => {
    const claims = claimsOf(alice.accessToken);
    const token = forge({ alg: 'none' }, claims, '');
    await expectAccessRefused(target, token, alice);
    await expectAccessRefused(target, remember(token.slice(0, -1)), alice);
  });

  it('refuses a genuine header and payload with the signature emptied', async () => {
    await expectAccessRefused(target, replaceSegment(alice.accessToken, 2, ''), alice);
  });

  it('refuses genuine claims signed with another key', async () => {
    const claims = claimsOf(alice.accessToken);
    await expectAccessRefused(target, mint(claims, ATTACKER_KEY), alice);
    await expectAccessRefused(target, mint(claims, `${SECRET.access} `), alice);
    await expectAccessRefused(target, mint(claims, SECRET.access.slice(0, -1)), alice);
  });

  it('refuses an access-shaped token signed with the refresh key', async () => {
    const claims = claimsOf(alice.accessToken);
    const token = mint(claims, SECRET.refresh, { kind: 'access' });
    await expectAccessRefused(target, token, alice);
    await expectRefreshRefused(target, token);
  });

  it('refuses a genuine token whose signature has one character changed', async () => {
    const signature = signatureOf(alice.accessToken);
    for (const at of [0, 20, signature.length - 2]) {
      const swapped = signature[at] === 'A' ? 'B' : 'A';
      const changed = signature.slice(0, at) + swapped + signature.slice(at + 1);
      await expectAccessRefused(target, replaceSegment(alice.accessToken, 2, changed), alice);
    }
  });

  it('refuses a payload edited after signing', async () => {
    const edits = [
      { role: 'admin' },
      { sub: 'bob', sid: bob.sessionId },
      { sub: 'admin', role: 'admin' },
      { exp: Number(claimsOf(alice.accessToken).exp) + 10 * 365 * 86_400 },
      { jti: 'A'.repeat(43) },
    ];
    for (const edit of edits) {
      const payload = b64url(claimsOf(alice.accessToken, edit));
      await expectAccessRefused(target, replaceSegment(alice.accessToken, 1, payload), alice);
    }
  });

  it('refuses the same payload re-encoded with different JSON bytes', async () => {
    const claims = claimsOf(alice.accessToken);
    const spaced = b64url(JSON.stringify(claims, null, 1));
    await expectAccessRefused(target, replaceSegment(alice.accessToken, 1, spaced), alice);
  });

  it('refuses a header edited after signing', async () => {
    const header = headerOf(alice.accessToken);
    const edits = [
      { ...header, typ: 'JWT' },
      { ...header, alg: 'HS384' },
      { ...header, alg: 'none' },
      { ...header, kid: 'access' },
      { typ: header.typ, alg: header.alg },
      { ...header, cty: 'JWT' },
    ];
    for (const edit of edits) {
      await expectAccessRefused(target, replaceSegment(alice.accessToken, 0, b64url(edit)), alice);
    }
  });
});

describe('signature: refresh tokens never rotate or end a session', () => {
  it('accepts a refresh token the test signs with the real refresh key (control)', async () => {
    const spare = await signIn(target, 'alice');
    const token = mint(claimsOf(spare.refreshToken), SECRET.refresh);
    const res = await send(target, 'post', '/auth/refresh').set('Cookie', `refresh_token=${token}`);
    rememberResponse(res);
    expect(res.status).toBe(200);
  });

  it.each(['none', 'None', 'NONE', 'nOnE'])('refuses alg %s', async (alg) => {
    const claims = claimsOf(bob.refreshToken, { jti: await currentJti(target, bob) });
    await expectRefreshRefused(target, forge({ alg, typ: TYP.refresh }, claims, ''));
    await expectRefreshRefused(
      target,
      forge({ alg, typ: TYP.refresh }, claims, signatureOf(bob.refreshToken)),
    );
  });

  it('refuses the genuine refresh token with its signature emptied or changed', async () => {
    await expectRefreshRefused(target, replaceSegment(bob.refreshToken, 2, ''));
    const signature = signatureOf(bob.refreshToken);
    const changed = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    await expectRefreshRefused(target, replaceSegment(bob.refreshToken, 2, changed));
  });

  it('refuses genuine refresh claims signed with the access key or another key', async () => {
    const claims = claimsOf(bob.refreshToken);
    await expectRefreshRefused(target, mint(claims, SECRET.access));
    await expectRefreshRefused(target, mint(claims, ATTACKER_KEY));
  });

  it('refuses a refresh payload edited after signing', async () => {
    const edits = [
      { sub: 'alice', sid: alice.sessionId },
      { jti: 'A'.repeat(43) },
      { exp: Number(claimsOf(bob.refreshToken).exp) + 365 * 86_400 },
    ];
    for (const edit of edits) {
      const payload = b64url(claimsOf(bob.refreshToken, edit));
      await expectRefreshRefused(target, replaceSegment(bob.refreshToken, 1, payload));
    }
  });

  it('refuses a refresh header edited after signing', async () => {
    const header = headerOf(bob.refreshToken);
    for (const edit of [
      { ...header, typ: 'at+jwt' },
      { ...header, alg: 'HS512' },
    ]) {
      await expectRefreshRefused(target, replaceSegment(bob.refreshToken, 0, b64url(edit)));
    }
  });

  it('still accepts the genuine tokens after all of the above', async () => {
    await expectAccessAccepted(target, alice.accessToken, 'alice');
    await expectAccessAccepted(target, bob.accessToken, 'bob');
  });
});
