import fc from 'fast-check';
import { ADAPTERS, bearer, login, type LoggedIn } from '../support/e2e.js';
import {
  b64url,
  base64urlText,
  checkError,
  checkStatus,
  fuzzParams,
  fuzzTimeout,
  loggedErrors,
  mutatedToken,
  rawRequest,
  recordProcessFaults,
  runs,
  secretsOf,
  send,
  startFuzzApp,
  storeSnapshot,
  type FaultRecorder,
  type FuzzApp,
  type FuzzResponse,
} from '../support/fuzz.js';

describe.each(ADAPTERS)('on %s', (adapter) => {
  const ROUTE = '/auth/sessions/';
  /** Node answers 431 by itself past 16 KB of request line and headers: stay well under. */
  const MAX_RAW_ID = 12_000;

  let app: FuzzApp;
  let faults: FaultRecorder;
  /** The caller: its bearer token goes with every request. */
  let alice: LoggedIn;
  /** Another session of the caller, and one of another user: targets that must survive. */
  let aliceOther: LoggedIn;
  let bob: LoggedIn;
  let liveIds: Set<string>;
  let secrets: string[];
  let snapshot: Record<string, unknown>;

  beforeAll(async () => {
    faults = recordProcessFaults();
    app = await startFuzzApp(`fuzz-session-id-${adapter}`, { HTTP_ADAPTER: adapter });
    alice = await login(app.server, 'alice');
    aliceOther = await login(app.server, 'alice', 'another device');
    bob = await login(app.server, 'bob');
    liveIds = new Set([alice.sessionId, aliceOther.sessionId, bob.sessionId]);
    secrets = secretsOf(alice, aliceOther, bob);
  });
  afterAll(async () => {
    faults.stop();
    await app?.close();
  });

  /**
   * The id Express hands to the route for a raw path segment, or `undefined` when the request
   * cannot reach it (another path, or a percent sequence that does not decode).
   */
  function routedId(raw: string): string | undefined {
    // Express's routing is not strict: a trailing slash still reaches `:id`.
    const path = (raw.split('?')[0] ?? '').replace(/\/+$/, '');
    if (path === '' || path.includes('/') || path.includes('#')) return undefined;
    try {
      return decodeURIComponent(path);
    } catch {
      return undefined;
    }
  }

  /** DELETE /auth/sessions/<raw> as alice, byte for byte. */
  function deleteRaw(raw: string): Promise<FuzzResponse> {
    return rawRequest(app.url, {
      method: 'DELETE',
      path: ROUTE + raw,
      headers: { Authorization: bearer(alice.accessToken) },
    });
  }

  /** Lone surrogates cannot be percent-encoded as UTF-8. */
  function isWellFormed(text: string): boolean {
    return !/\p{Cs}/u.test(text);
  }

  /** An id sent percent-encoded: every id but a live one gets the one 404. */
  async function expectNotFound(id: string): Promise<void> {
    const res = await deleteRaw(encodeURIComponent(id));
    if (id === '')
      checkError(res, { status: 404, secrets }); // no id: no such route
    else checkError(res, { status: 404, message: 'Session not found', secrets });
  }

  describe('fuzzing the :id of DELETE /auth/sessions/:id', () => {
    beforeEach(async () => {
      snapshot = await storeSnapshot(app);
    });
    afterEach(async () => {
      // Nothing deleted: the caller, its other session and bob's all still work.
      expect(await storeSnapshot(app)).toEqual(snapshot);
      for (const session of [alice, aliceOther, bob]) {
        const res = await send(app, 'get', '/me', { Authorization: bearer(session.accessToken) });
        checkStatus(res, 200);
      }
    });

    const anyId = runs(250);
    it(
      'answers any id, percent-encoded, with the one 404',
      async () => {
        const id = fc.oneof(
          fc.string({ unit: 'binary', maxLength: 80 }),
          fc.string({ unit: 'grapheme', maxLength: 20 }),
          fc.string({
            unit: fc.constantFrom(
              '.',
              '..',
              '/',
              '\\',
              '%',
              '?',
              '#',
              ';',
              ' ',
              '\u0000',
              '{',
              '}',
              ':',
              '*',
              'sess:',
            ),
            maxLength: 10,
          }),
          // Well-formed session ids of any user whose random part nobody was given.
          fc
            .tuple(fc.constantFrom('alice', 'bob', 'admin', '', '{x}', 'ä'), base64urlText(43, 43))
            .map(([user, random]) => `${b64url(user)}.${random}`),
        );
        await fc.assert(
          fc.asyncProperty(
            id.filter((s) => isWellFormed(s) && !liveIds.has(s)),
            expectNotFound,
          ),
          fuzzParams(anyId),
        );
      },
      fuzzTimeout(anyId),
    );

    const mutations = runs(250);
    it(
      "answers every mutation of a live session id (the caller's, another of its own, another user's) with the one 404",
      async () => {
        const ids = () => [alice.sessionId, aliceOther.sessionId, bob.sessionId];
        const mutated = fc
          .constantFrom(...ids())
          .chain((id) => mutatedToken(id, ids()))
          .map((m) => m.token)
          .filter((s) => isWellFormed(s) && !liveIds.has(s));
        await fc.assert(fc.asyncProperty(mutated, expectNotFound), fuzzParams(mutations));
      },
      fuzzTimeout(mutations),
    );

    const rawPercent = runs(250);
    it(
      'answers raw percent sequences, valid or not, with 400 or 404 and never deletes',
      async () => {
        const hex = fc.constantFrom(...'0123456789abcdefABCDEF');
        const unit = fc.oneof(
          fc.tuple(hex, hex).map(([a, b]) => `%${a}${b}`),
          fc.constantFrom(
            '%',
            '%z',
            '%zz',
            '%%',
            '%0',
            '%00',
            '%2F',
            '%2f',
            '%2e',
            '%2E%2E',
            '%5C',
            '%25',
          ),
          fc.constantFrom(
            '%ED%A0%80',
            '%C0%AF',
            '%E0%80%AF',
            '%F4%90%80%80',
            '%FF',
            '%C3%28',
            '%EF%BB%BF',
          ),
          fc.constantFrom(
            '.',
            '..',
            '/',
            '?',
            ';',
            '+',
            '~',
            '!',
            '$',
            '&',
            "'",
            '(',
            ')',
            '*',
            ',',
            '=',
            ':',
            '@',
          ),
          base64urlText(1, 4),
        );
        // Also live ids with some characters percent-encoded: they decode to a live id, so they
        // are left out below (a DELETE of them is a genuine revocation).
        const encodedLive = fc
          .tuple(fc.constantFrom(...liveIds), fc.array(fc.nat(), { maxLength: 4 }))
          .map(([id, at]) => {
            const chars = [...id];
            for (const i of at) {
              const c = chars[i % chars.length] ?? '';
              chars[i % chars.length] = `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
            }
            return chars.join('');
          });
        const raw = fc
          .oneof(
            fc.string({ unit, minLength: 1, maxLength: 40 }),
            encodedLive.chain((id) =>
              fc.tuple(fc.constant(id), fc.string({ unit, maxLength: 3 })).map(([a, b]) => a + b),
            ),
          )
          .filter((s) => {
            const id = routedId(s);
            return id === undefined || !liveIds.has(id);
          });
        await fc.assert(
          fc.asyncProperty(raw, async (segment) => {
            const res = await deleteRaw(segment);
            checkError(res, { status: [400, 404], secrets });
          }),
          fuzzParams(rawPercent),
        );
      },
      fuzzTimeout(rawPercent),
    );

    const long = runs(60);
    it(
      'answers very long ids (up to 12 KB) with the one 404',
      async () => {
        const id = fc.oneof(
          fc
            .tuple(base64urlText(1, 16), fc.integer({ min: 200, max: MAX_RAW_ID }))
            .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n)),
          // A well-formed user part that is far too long, then a random part.
          fc
            .tuple(fc.integer({ min: 100, max: 4000 }), base64urlText(43, 43))
            .map(([n, random]) => `${b64url('a'.repeat(n))}.${random}`),
          // A live id padded on either side.
          fc
            .tuple(fc.constantFrom(...liveIds), fc.integer({ min: 1, max: 5000 }), fc.boolean())
            .map(([live, n, before]) => (before ? 'A'.repeat(n) + live : live + 'A'.repeat(n))),
        );
        await fc.assert(fc.asyncProperty(id, expectNotFound), fuzzParams(long));
      },
      fuzzTimeout(long, 50),
    );
  });

  describe('after the :id fuzz', () => {
    it('documents that an id past 16 KB never reaches the app: Node answers 431 itself', async () => {
      const res = await deleteRaw('A'.repeat(20_000));
      expect(res.status).toBe(431);
    });

    it('still revokes a genuine session of the caller by its id', async () => {
      const res = await send(app, 'delete', ROUTE + encodeURIComponent(aliceOther.sessionId), {
        Authorization: bearer(alice.accessToken),
      });
      checkStatus(res, 204);
      const gone = await send(app, 'get', '/me', { Authorization: bearer(aliceOther.accessToken) });
      checkError(gone, { status: 401, message: 'Unauthorized' });
      checkStatus(await send(app, 'get', '/me', { Authorization: bearer(alice.accessToken) }), 200);
    });

    it('logged no error and saw no unhandled rejection or uncaught exception', () => {
      expect(loggedErrors(app)).toEqual([]);
      expect(faults.faults).toEqual([]);
    });
  });
});
