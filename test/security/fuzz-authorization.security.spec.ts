import fc from 'fast-check';
import { ADAPTERS, bearer, login, type LoggedIn } from '../support/e2e.js';
import {
  ACCESS_KEY_SIGNER,
  accessVerdict,
  attackerSigners,
  base64urlText,
  checkError,
  checkStatus,
  decodeJwt,
  forgeJwt,
  forgedJwt,
  itHolds,
  headerText,
  loggedErrors,
  mutatedToken,
  presentedBearer,
  recordProcessFaults,
  runs,
  secretsOf,
  send,
  startFuzzApp,
  storeSnapshot,
  tokenChar,
  type FaultRecorder,
  type FuzzApp,
  type FuzzResponse,
  type ClaimTargets,
  type Signer,
} from '../support/fuzz.js';

describe.each(ADAPTERS)('on %s', (adapter) => {
  /** A route behind `AccessGuard`; `destructive` ones never get a genuine token from the fuzz. */
  interface GuardedRoute {
    method: 'get' | 'post';
    path: string;
    destructive: boolean;
  }

  const ROUTES: readonly GuardedRoute[] = [
    { method: 'get', path: '/me', destructive: false },
    { method: 'get', path: '/admin', destructive: false },
    { method: 'get', path: '/auth/sessions', destructive: false },
    { method: 'post', path: '/auth/logout-all', destructive: true },
  ];
  const READ_ROUTES = ROUTES.filter((route) => !route.destructive);

  let app: FuzzApp;
  let faults: FaultRecorder;
  let alice: LoggedIn;
  let bob: LoggedIn;
  let admin: LoggedIn;
  /** Every genuine token of the file, access and refresh, by value. */
  let genuine: Map<string, LoggedIn>;
  let secrets: string[];
  let snapshot: Record<string, unknown>;

  beforeAll(async () => {
    faults = recordProcessFaults();
    app = await startFuzzApp(`fuzz-authorization-${adapter}`, { HTTP_ADAPTER: adapter });
    alice = await login(app.server, 'alice');
    bob = await login(app.server, 'bob');
    admin = await login(app.server, 'admin');
    genuine = new Map();
    for (const session of [alice, bob, admin]) {
      genuine.set(session.accessToken, session);
      genuine.set(session.refreshToken, session);
    }
    secrets = secretsOf(alice, bob, admin);
  });
  afterAll(async () => {
    faults.stop();
    await app?.close();
  });

  /** The token a route's mutations start from: one whose success would show (admin on /admin). */
  function ownerOf(route: GuardedRoute): LoggedIn {
    if (route.path === '/admin') return admin;
    return route.destructive ? bob : alice;
  }

  /** User and session ids worth putting in forged claims. */
  function claimTargets(): ClaimTargets {
    return {
      userIds: [alice.userId, bob.userId, admin.userId],
      sessionIds: [alice.sessionId, bob.sessionId, admin.sessionId],
      nowSeconds: Math.floor(Date.now() / 1000),
    };
  }

  /** Every other genuine token: segments to borrow. */
  function donors(): string[] {
    return [...genuine.keys()];
  }

  /** Whether an `Authorization` value presents one of the file's genuine access tokens. */
  function presentsGenuine(authorization: string): boolean {
    const token = presentedBearer(authorization);
    return token !== undefined && genuine.get(token)?.accessToken === token;
  }

  /**
   * Sends `authorization` to `route` and checks the answer: the route's own answer for a genuine
   * access token, else the one 401 (same message whatever was wrong).
   */
  async function expectAnswer(route: GuardedRoute, authorization: string): Promise<FuzzResponse> {
    const res = await send(app, route.method, route.path, { Authorization: authorization });
    const token = presentedBearer(authorization);
    const session = token === undefined ? undefined : genuine.get(token);
    if (session && session.accessToken === token) {
      if (route.destructive)
        throw new Error('the fuzz sent a genuine token to a destructive route');
      checkStatus(res, route.path === '/admin' && session !== admin ? 403 : 200);
    } else {
      checkError(res, { status: 401, message: 'Unauthorized', secrets });
    }
    return res;
  }

  /**
   * A fuzz test of `expectAnswer` on every route with the `Authorization` values of the arbitrary
   * that `build()` makes when the test runs (after `beforeAll`), genuine access tokens left out.
   */
  function itAnswers(title: string, numRuns: number, build: () => fc.Arbitrary<string>): void {
    itHolds(title, numRuns, () => ({
      cases: fc.tuple(
        fc.constantFrom(...ROUTES),
        build().filter((value) => !presentsGenuine(value)),
      ),
      check: ([route, authorization]) => expectAnswer(route, authorization),
    }));
  }

  describe('fuzzing the Authorization header of guarded routes', () => {
    beforeEach(async () => {
      snapshot = await storeSnapshot(app);
    });
    afterEach(async () => {
      // Nothing written, nothing revoked, and every genuine token still works.
      expect(await storeSnapshot(app)).toEqual(snapshot);
      for (const [session, route, status] of [
        [alice, '/me', 200],
        [bob, '/me', 200],
        [admin, '/admin', 200],
        [alice, '/admin', 403],
      ] as const) {
        const res = await send(app, 'get', route, { Authorization: bearer(session.accessToken) });
        checkStatus(res, status);
      }
    });

    itAnswers('answers any Authorization value with the one 401', runs(250), () => {
      const units = [
        'Bearer ',
        'bearer ',
        'Basic ',
        'eyJ',
        '.',
        '..',
        '%',
        '=',
        ',',
        'null',
        'none',
      ];
      return headerText(300, units);
    });

    itAnswers(
      'answers "Bearer " followed by any string, JWT-shaped or not, with the one 401',
      runs(250),
      () => {
        const prefix = fc.constantFrom(
          'Bearer ',
          'bearer ',
          'BEARER ',
          'Bearer  ',
          'Bearer\t',
          'Bearer',
          'Bearer:',
          'Token ',
        );
        const jwtShaped = fc
          .tuple(base64urlText(0, 80), base64urlText(0, 200), base64urlText(0, 60))
          .map((parts) => parts.join('.'));
        const long = fc
          .tuple(base64urlText(1, 8), fc.integer({ min: 4000, max: 9000 }))
          .map(
            ([unit, length]) =>
              `${unit.repeat(Math.ceil(length / unit.length)).slice(0, length - 4)}.a.b`,
          );
        const body = fc.oneof(fc.string({ unit: tokenChar, maxLength: 400 }), jwtShaped, long);
        return fc.tuple(prefix, body).map(([p, b]) => p + b);
      },
    );

    itHolds('answers every mutation of a genuine access token with the one 401', runs(300), () => ({
      cases: fc.constantFrom(...ROUTES).chain((route) =>
        fc.record({
          route: fc.constant(route),
          mutated: mutatedToken(ownerOf(route).accessToken, donors(), (token) => {
            return !presentsGenuine(`Bearer ${token}`);
          }),
        }),
      ),
      check: ({ route, mutated }) => expectAnswer(route, `Bearer ${mutated.token}`),
    }));

    /** Re-encoded tokens for `routes`, from the header and payload of the route's owner. */
    function forgedTokens(routes: readonly GuardedRoute[], signers: fc.Arbitrary<Signer>) {
      return fc.constantFrom(...routes).chain((route) =>
        forgedJwt(decodeJwt(ownerOf(route).accessToken), claimTargets(), signers).map((jwt) => ({
          route,
          jwt,
        })),
      );
    }

    itHolds(
      'answers re-encoded tokens that the access key did not sign with the one 401',
      runs(300),
      () => {
        const genuineSignature = (session: LoggedIn): Signer => ({
          name: `genuine signature of ${session.userId}, kept`,
          sign: () => session.accessToken.split('.')[2] ?? '',
        });
        const signers = fc.constantFrom(
          ...attackerSigners('access'),
          ...[alice, bob, admin].map(genuineSignature),
        );
        // A corpus run first: the genuine header and claims, signed with the right secret but
        // another HMAC algorithm than the pinned HS256.
        const { payload } = decodeJwt(alice.accessToken);
        const corpus = (['HS384', 'HS512'] as const).map((alg) => {
          const signer = attackerSigners('access').find((s) => s.name === `right key, ${alg}`);
          if (!signer) throw new Error(`no ${alg} signer`);
          return {
            route: ROUTES[0] as GuardedRoute,
            jwt: forgeJwt({ alg, typ: 'at+jwt' }, payload, signer),
          };
        });
        return {
          cases: forgedTokens(ROUTES, signers).filter(
            (c) => !presentsGenuine(`Bearer ${c.jwt.token}`),
          ),
          corpus,
          check: ({ route, jwt }) => expectAnswer(route, `Bearer ${jwt.token}`),
        };
      },
    );

    itHolds(
      'accepts a token signed with the access key only when header and every claim are right',
      runs(300),
      () => {
        const live = new Map([alice, bob, admin].map((s) => [s.sessionId, s.userId]));
        const { header, payload } = decodeJwt(alice.accessToken);
        const me = READ_ROUTES[0] as GuardedRoute;
        // A corpus run before the generated cases: the refresh token's `typ` (which makes jws
        // parse the payload itself) over payloads that are JSON but not objects.
        const corpus = [null, [], 0, 'x'].flatMap((body) =>
          [{ alg: 'HS256', typ: 'JWT' }, header].map((h) => ({
            route: me,
            jwt: forgeJwt(h, body, ACCESS_KEY_SIGNER),
          })),
        );
        corpus.push({ route: me, jwt: forgeJwt(header, payload, ACCESS_KEY_SIGNER) });
        return {
          cases: forgedTokens(READ_ROUTES, fc.constant(ACCESS_KEY_SIGNER)),
          corpus,
          check: async ({ route, jwt }) => {
            const res = await send(app, route.method, route.path, {
              Authorization: `Bearer ${jwt.token}`,
            });
            const verdict = accessVerdict(jwt, live);
            const role =
              verdict === 'reject' ? undefined : (jwt.payload as { role?: unknown }).role;
            const granted = route.path === '/admin' && role !== 'admin' ? 403 : 200;
            if (verdict === 'accept') checkStatus(res, granted);
            else if (verdict === 'either') checkStatus(res, [granted, 401]);
            else checkError(res, { status: 401, message: 'Unauthorized', secrets });
          },
        };
      },
    );
  });

  describe('after the Authorization fuzz', () => {
    it('logged no error and saw no unhandled rejection or uncaught exception', () => {
      expect(loggedErrors(app)).toEqual([]);
      expect(faults.faults).toEqual([]);
    });
  });
});
