import fc from 'fast-check';
import { ADAPTERS, bearer, cookieHeader, login, type LoggedIn } from '../support/e2e.js';
import {
  REFRESH_KEY_SIGNER,
  applyEdits,
  attackerSigners,
  b64url,
  checkError,
  checkStatus,
  decodeJwt,
  forgeJwt,
  forgedJwt,
  itHolds,
  headerChar,
  headerText,
  loggedErrors,
  mutatedToken,
  presentedCookie,
  recordProcessFaults,
  runs,
  secretsOf,
  send,
  startFuzzApp,
  storeSnapshot,
  type FaultRecorder,
  type ForgedJwt,
  type FuzzApp,
  type Signer,
} from '../support/fuzz.js';

describe.each(ADAPTERS)('on %s', (adapter) => {
  const ACCESS = 'access_token';
  const REFRESH = 'refresh_token';
  /** Keeps every Cookie header well under Node's 16 KB limit on all headers together. */
  const MAX_COOKIE_HEADER = 12_000;

  /** A route that reads the session cookies; POSTs end or rotate a session when they succeed. */
  interface CookieRoute {
    method: 'get' | 'post';
    path: string;
  }

  const ME: CookieRoute = { method: 'get', path: '/me' };
  const REFRESH_ROUTE: CookieRoute = { method: 'post', path: '/auth/refresh' };
  const LOGOUT: CookieRoute = { method: 'post', path: '/auth/logout' };
  const ROUTES = [ME, REFRESH_ROUTE, LOGOUT] as const;

  let app: FuzzApp;
  let faults: FaultRecorder;
  let alice: LoggedIn;
  let bob: LoggedIn;
  let genuineAccess: Set<string>;
  let genuineRefresh: Set<string>;
  let secrets: string[];
  let snapshot: Record<string, unknown>;

  beforeAll(async () => {
    faults = recordProcessFaults();
    app = await startFuzzApp(`fuzz-cookies-${adapter}`, { HTTP_ADAPTER: adapter });
    alice = await login(app.server, 'alice');
    bob = await login(app.server, 'bob');
    genuineAccess = new Set([alice.accessToken, bob.accessToken]);
    genuineRefresh = new Set([alice.refreshToken, bob.refreshToken]);
    secrets = secretsOf(alice, bob);
  });
  afterAll(async () => {
    faults.stop();
    await app?.close();
  });

  /**
   * What a Cookie header would succeed at: `/me` with a genuine access cookie, refresh with a
   * genuine refresh cookie, logout with either (a name sent twice counts as absent).
   */
  function succeeds(route: CookieRoute, header: string): boolean {
    const access = presentedCookie(header, ACCESS);
    const refresh = presentedCookie(header, REFRESH);
    const hasAccess = access !== undefined && genuineAccess.has(access);
    const hasRefresh = refresh !== undefined && genuineRefresh.has(refresh);
    if (route === ME) return hasAccess;
    if (route === REFRESH_ROUTE) return hasRefresh;
    return hasAccess || hasRefresh;
  }

  /** Whether the fuzz may send `header` to `route`: nothing that would rotate or end a session. */
  function harmless(route: CookieRoute, header: string): boolean {
    return header.length <= MAX_COOKIE_HEADER && (route === ME || !succeeds(route, header));
  }

  /** Sends `header` as the only credential and checks the answer. */
  async function expectAnswer(route: CookieRoute, header: string): Promise<void> {
    if (!harmless(route, header)) throw new Error('the fuzz sent a session-ending cookie');
    const res = await send(app, route.method, route.path, { Cookie: header });
    if (succeeds(route, header)) checkStatus(res, 200);
    else checkError(res, { status: 401, message: 'Unauthorized', secrets });
  }

  /** A Cookie header for `route` from an arbitrary of headers, restricted to harmless ones. */
  function cases(headers: (route: CookieRoute) => fc.Arbitrary<string>) {
    return fc.constantFrom(...ROUTES).chain((route) =>
      fc.record({
        route: fc.constant(route),
        header: headers(route).filter((header) => harmless(route, header)),
      }),
    );
  }

  /**
   * A fuzz test of `expectAnswer` on the Cookie headers for each route that `build()` (run when
   * the test runs, after `beforeAll`) gives, restricted to harmless ones.
   */
  function itAnswers(
    title: string,
    numRuns: number,
    build: () => (route: CookieRoute) => fc.Arbitrary<string>,
  ): void {
    itHolds(title, numRuns, () => ({
      cases: cases(build()),
      check: ({ route, header }) => expectAnswer(route, header),
    }));
  }

  /** Mutations of every genuine token (alice's and bob's, access and refresh). */
  function mutatedGenuine(): fc.Arbitrary<string> {
    const tokens = [...genuineAccess, ...genuineRefresh];
    return fc
      .constantFrom(...tokens)
      .chain((token) => mutatedToken(token, tokens).map((m) => m.token));
  }

  const cookieName: fc.Arbitrary<string> = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        ACCESS,
        REFRESH,
        ` ${ACCESS}`,
        `${REFRESH} `,
        'Access_Token',
        'REFRESH_TOKEN',
        `__Host-${ACCESS}`,
        `__Secure-${REFRESH}`,
        `${ACCESS}\t`,
        `"${REFRESH}"`,
        'connect.sid',
        '',
      ),
    },
    {
      weight: 1,
      arbitrary: fc.string({ unit: headerChar, maxLength: 12 }).map((s) => s.replace(/[;=]/g, '')),
    },
  );

  const cookieValue = (): fc.Arbitrary<string> =>
    fc.oneof(
      { weight: 2, arbitrary: headerText(60, ['"', '%', '%zz', '=', ',', 'j:{"a":1}', 's:', '.']) },
      { weight: 2, arbitrary: mutatedGenuine() },
      { weight: 1, arbitrary: fc.constantFrom(...genuineAccess, ...genuineRefresh) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('j:null', 'j:{"__proto__":{"x":1}}', 's:x.y', '""', '%'),
      },
    );

  const separator = fc.constantFrom('; ', ';', ' ; ', ';;', ', ', ';\t');

  /** A Cookie header of `count` pairs (names and values as given) joined by mixed separators. */
  function cookieList(
    pairs: fc.Arbitrary<[string, string]>,
    maxPairs: number,
  ): fc.Arbitrary<string> {
    return fc
      .array(fc.tuple(pairs, separator), { minLength: 1, maxLength: maxPairs })
      .map((list) => list.map(([[n, v], sep], i) => `${i > 0 ? sep : ''}${n}=${v}`).join(''));
  }

  describe('fuzzing the session cookies', () => {
    beforeEach(async () => {
      snapshot = await storeSnapshot(app);
    });
    afterEach(async () => {
      // No session created, rotated, extended or ended; the genuine cookies still work.
      expect(await storeSnapshot(app)).toEqual(snapshot);
      const cookie = cookieHeader({ [ACCESS]: alice.accessToken });
      checkStatus(await send(app, 'get', '/me', { Cookie: cookie }), 200);
    });

    itAnswers('answers any Cookie header with the one 401', runs(250), () => {
      const units = [`${ACCESS}=`, `${REFRESH}=`, '; ', ';', '=', '"', '%', ',', 'eyJ', '.'];
      return () => headerText(600, units);
    });

    itAnswers(
      'reads only a genuine cookie sent once under its exact name, among up to 40 cookies',
      runs(250),
      () => () => cookieList(fc.tuple(cookieName, cookieValue()), 40),
    );

    itAnswers(
      'answers every mutation of a genuine access or refresh cookie with the one 401',
      runs(300),
      () => {
        const all = [...genuineAccess, ...genuineRefresh];
        return (route) => {
          const [name, token] =
            route === ME ? [ACCESS, alice.accessToken] : [REFRESH, alice.refreshToken];
          const other = route === LOGOUT ? ACCESS : REFRESH;
          return fc
            .record({
              mutated: mutatedToken(token, all),
              // The other cookie, absent or mutated too: logout reads both.
              second: fc.option(
                mutatedToken(route === LOGOUT ? alice.accessToken : alice.refreshToken, all),
              ),
            })
            .map(({ mutated, second }) =>
              second
                ? `${name}=${mutated.token}; ${other}=${second.token}`
                : `${name}=${mutated.token}`,
            );
        };
      },
    );

    itAnswers(
      'treats a session cookie sent twice as absent, whatever the two values and their places',
      runs(200),
      () => () =>
        fc
          .record({
            name: fc.constantFrom(ACCESS, REFRESH),
            first: fc.constantFrom(...genuineAccess, ...genuineRefresh),
            second: cookieValue(),
            junk: fc.array(
              fc.tuple(
                cookieName.filter((n) => n.trim() !== ACCESS && n.trim() !== REFRESH),
                headerText(40).map((v) => v.replace(/;/g, '')),
              ),
              { maxLength: 12 },
            ),
            at: fc.tuple(fc.nat(), fc.nat()),
            swap: fc.boolean(),
          })
          .map(({ name, first, second, junk, at, swap }) => {
            const pairs = junk.map(([n, v]) => `${n}=${v}`);
            const [a, b] = swap ? [second, first] : [first, second];
            pairs.splice(at[0] % (pairs.length + 1), 0, `${name}=${a}`);
            pairs.splice(at[1] % (pairs.length + 1), 0, `${name}=${b}`);
            return pairs.join('; ');
          }),
    );

    itHolds('answers re-encoded cookie tokens, signed or not, with the one 401', runs(300), () => {
      // Refresh tokens are forged over a session that does not exist, so that even one the
      // refresh key signed cannot rotate or end a real session: whatever it is, 401.
      const deadSession = `${b64url('alice')}.${b64url('no such session, 32 bytes long!!')}`;
      const refreshBase = decodeJwt(alice.refreshToken);
      const dead = {
        header: refreshBase.header,
        payload: applyEdits(refreshBase.payload as Record<string, unknown>, [
          { key: 'sid', value: deadSession },
        ]),
      };
      const targets = {
        userIds: [alice.userId, bob.userId],
        sessionIds: [deadSession],
        nowSeconds: Math.floor(Date.now() / 1000),
      };
      const keptSignature = (token: string): Signer => ({
        name: 'genuine signature, kept',
        sign: () => token.split('.')[2] ?? '',
      });
      const jwts = (route: CookieRoute): fc.Arbitrary<ForgedJwt> => {
        if (route === ME) {
          const signers = [...attackerSigners('access'), keptSignature(alice.accessToken)];
          return forgedJwt(
            decodeJwt(alice.accessToken),
            { ...targets, sessionIds: [alice.sessionId] },
            fc.constantFrom(...signers),
          );
        }
        const signers = [...attackerSigners('refresh'), keptSignature(alice.refreshToken)];
        signers.push(REFRESH_KEY_SIGNER); // over a dead session: refresh and logout both 401
        return forgedJwt(dead, targets, fc.constantFrom(...signers));
      };
      const property = fc
        .constantFrom(...ROUTES)
        .chain((route) => fc.record({ route: fc.constant(route), jwt: jwts(route) }))
        .filter(({ route, jwt }) => harmless(route, cookieFor(route, jwt.token)));
      const hs512 = attackerSigners('refresh').find((s) => s.name === 'right key, HS512');
      if (!hs512) throw new Error('no HS512 signer');
      // A corpus run first: the refresh token's header over a `null` payload, signed with the
      // refresh key; and a genuine refresh token re-signed with the right secret under HS512.
      const corpus = [
        { route: REFRESH_ROUTE, jwt: forgeJwt(dead.header, null, REFRESH_KEY_SIGNER) },
        {
          route: LOGOUT,
          jwt: forgeJwt({ ...(dead.header as object), alg: 'HS512' }, dead.payload, hs512),
        },
      ];
      return {
        cases: property,
        corpus,
        check: ({ route, jwt }) => expectAnswer(route, cookieFor(route, jwt.token)),
      };
    });
  });

  /** The cookie a route reads, carrying `token`. */
  function cookieFor(route: CookieRoute, token: string): string {
    return `${route === ME ? ACCESS : REFRESH}=${token}`;
  }

  describe('after the cookie fuzz', () => {
    it('still refreshes and logs out with the genuine cookies', async () => {
      const refreshed = await send(app, 'post', '/auth/refresh', {
        Cookie: cookieHeader({ [REFRESH]: alice.refreshToken, unrelated: 'x' }),
      });
      checkStatus(refreshed, 200);
      const { accessToken } = JSON.parse(refreshed.text) as { accessToken: string };
      const out = await send(app, 'post', '/auth/logout', {
        Cookie: cookieHeader({ [ACCESS]: accessToken }),
      });
      checkStatus(out, 204);
      checkStatus(await send(app, 'get', '/me', { Authorization: bearer(accessToken) }), 401);
    });

    it('logged no error and saw no unhandled rejection or uncaught exception', () => {
      expect(loggedErrors(app)).toEqual([]);
      expect(faults.faults).toEqual([]);
    });
  });
});
