import { bearer, cookieHeader, type LoggedIn } from '../support/e2e.js';
import {
  SECRET,
  TYP,
  WEAK_JWT_SECRETS,
  claimsOf,
  currentJti,
  ensureLive,
  expectAccessAccepted,
  expectAccessRefused,
  expectRefreshRefused,
  expectRefusal,
  expectStoreUnchanged,
  forge,
  hmac,
  mint,
  send,
  useSampleApp,
} from '../support/security.js';

const target = useSampleApp('weak-keys');
let alice: LoggedIn;
let bob: LoggedIn;

beforeEach(async () => {
  alice = await ensureLive(target, alice, 'alice');
  bob = await ensureLive(target, bob, 'bob');
});

describe('weak keys', () => {
  it('tries 100 distinct published secrets, none of them the app’s own', () => {
    expect(WEAK_JWT_SECRETS).toHaveLength(100);
    expect(new Set(WEAK_JWT_SECRETS).size).toBe(100);
    expect(WEAK_JWT_SECRETS).not.toContain(SECRET.access);
    expect(WEAK_JWT_SECRETS).not.toContain(SECRET.refresh);
  });

  it('accepts the same claims signed with the real key (control)', async () => {
    await expectAccessAccepted(target, mint(claimsOf(alice.accessToken), SECRET.access), 'alice');
  });

  it('refuses access tokens signed with each of the 100 common secrets', async () => {
    const claims = claimsOf(alice.accessToken);
    await expectStoreUnchanged(target, async () => {
      const outcomes: Array<[string, number, number]> = [];
      for (const secret of WEAK_JWT_SECRETS) {
        const token = mint(claims, secret);
        const me = await send(target, 'get', '/me').set('Authorization', bearer(token));
        const logoutAll = await send(target, 'post', '/auth/logout-all').set(
          'Cookie',
          cookieHeader({ access_token: token }),
        );
        outcomes.push([secret, me.status, logoutAll.status]);
        expectRefusal(me, [token]);
        expectRefusal(logoutAll, [token]);
      }
      expect(outcomes).toEqual(WEAK_JWT_SECRETS.map((secret) => [secret, 401, 401]));
    });
  });

  it('refuses refresh tokens signed with each of the 100 common secrets, rotating nothing', async () => {
    const claims = claimsOf(bob.refreshToken, { jti: await currentJti(target, bob) });
    await expectStoreUnchanged(target, async () => {
      const outcomes: Array<[string, number]> = [];
      for (const secret of WEAK_JWT_SECRETS) {
        const token = mint(claims, secret);
        const res = await send(target, 'post', '/auth/refresh').set(
          'Cookie',
          cookieHeader({ refresh_token: token }),
        );
        outcomes.push([secret, res.status]);
        expectRefusal(res, [token]);
      }
      expect(outcomes).toEqual(WEAK_JWT_SECRETS.map((secret) => [secret, 401]));
    });
  });

  it('refuses tokens signed with an empty key (HMAC by hand: jsonwebtoken will not)', async () => {
    const access = forge({ alg: 'HS256', typ: TYP.access }, claimsOf(alice.accessToken), hmac(''));
    await expectAccessRefused(target, access, alice);
    const refreshClaims = claimsOf(bob.refreshToken, { jti: await currentJti(target, bob) });
    await expectRefreshRefused(
      target,
      forge({ alg: 'HS256', typ: TYP.refresh }, refreshClaims, hmac('')),
    );
  });

  it('refuses tokens signed with the keys of a broken configuration', async () => {
    // An unset variable read as a string, or a key buffer never filled.
    const keys = ['undefined', 'null', '[object Object]', Buffer.alloc(32), Buffer.alloc(64, 0xff)];
    for (const key of keys) {
      const access = forge(
        { alg: 'HS256', typ: TYP.access },
        claimsOf(alice.accessToken),
        hmac(key),
      );
      await expectAccessRefused(target, access, alice);
    }
  });

  it('refuses the access key used for refresh tokens and the other way round', async () => {
    await expectAccessRefused(target, mint(claimsOf(alice.accessToken), SECRET.refresh), alice);
    const refreshClaims = claimsOf(bob.refreshToken, { jti: await currentJti(target, bob) });
    await expectRefreshRefused(target, mint(refreshClaims, SECRET.access));
  });
});
