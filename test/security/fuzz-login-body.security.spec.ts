import fc from 'fast-check';
import { ADAPTERS, PASSWORDS, bearer, login, type LoggedIn } from '../support/e2e.js';
import {
  checkError,
  checkStatus,
  fuzzParams,
  fuzzTimeout,
  loggedErrors,
  rawRequest,
  recordProcessFaults,
  runs,
  send,
  sessionCount,
  startFuzzApp,
  type FaultRecorder,
  type FuzzApp,
  type FuzzResponse,
} from '../support/fuzz.js';

describe.each(ADAPTERS)('on %s', (adapter) => {
  /** express.json's default limit: a larger body is refused with 413 before anyone reads it. */
  const BODY_LIMIT = 100 * 1024; // bytes
  const JSON_TYPES = ['application/json', 'application/json; charset=utf-8'];
  const OTHER_JSON_TYPES = [
    'Application/JSON',
    'application/json;charset=UTF-8',
    'application/json ; charset="utf-8"',
  ];
  const NOT_JSON_TYPES = [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/vnd.api+json',
    'application/json; charset=latin1',
    'application/json; charset=utf-16le',
    'json',
    '',
  ];
  /** What an error message may look like: plain words, never a quote of the body. */
  const PLAIN_MESSAGE = /^[\w .,-]*$/;

  let app: FuzzApp;
  let faults: FaultRecorder;
  let alice: LoggedIn;
  /** Successful logins since the last count (each must have created exactly one session). */
  let logins = 0;
  let sessionsBefore = 0;
  let prototypeNames: string[];

  beforeAll(async () => {
    faults = recordProcessFaults();
    app = await startFuzzApp(`fuzz-login-body-${adapter}`, { HTTP_ADAPTER: adapter });
    alice = await login(app.server, 'alice');
    prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();
  });
  afterAll(async () => {
    faults.stop();
    await app?.close();
  });

  /** A body as sent: its bytes (as a string) and content type (`undefined`: no header). */
  interface LoginRequest {
    body: string;
    contentType: string | undefined;
  }

  /** The demo user whose exact credentials a JSON text carries (own keys, last duplicate wins). */
  function credentialsOf(text: string): string | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch {
      return undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const record = parsed as Record<string, unknown>;
    if (!Object.hasOwn(record, 'username') || !Object.hasOwn(record, 'password')) return undefined;
    const { username, password } = record;
    if (typeof username !== 'string' || !Object.hasOwn(PASSWORDS, username)) return undefined;
    return PASSWORDS[username] === password ? username : undefined;
  }

  /** Every string of a JSON text (keys and values) long enough that an echo could not be chance. */
  function longStrings(text: string): string[] {
    const found: string[] = [];
    try {
      JSON.parse(text, (key, value: unknown) => {
        if (key.length >= 12) found.push(key);
        if (typeof value === 'string' && value.length >= 12) found.push(value);
        return value;
      });
    } catch {
      if (text.length >= 12) found.push(text);
    }
    return found;
  }

  /**
   * Posts a login body and checks the answer: 200 with a new session only for a demo user's exact
   * credentials in a JSON body (required for the plain JSON content types), else 400 or 401 (413
   * past the size limit, 415 for a charset the JSON parser does not read), as the one error body
   * with a plain message that quotes nothing that was sent.
   */
  async function expectLogin(req: LoginRequest): Promise<FuzzResponse> {
    const headers: Record<string, string> = {};
    if (req.contentType !== undefined) headers['Content-Type'] = req.contentType;
    const res = await rawRequest(app.url, {
      method: 'POST',
      path: '/auth/login',
      headers,
      body: req.body,
    });
    if (res.status === 200) logins += 1; // counted whatever the verdict: the store is checked
    const user = credentialsOf(req.body);
    const json =
      req.contentType !== undefined && /^application\/json\s*(?:;|$)/i.test(req.contentType);
    const canonical = req.contentType !== undefined && JSON_TYPES.includes(req.contentType);
    const oversized = Buffer.byteLength(req.body) > BODY_LIMIT;
    if (user && json && !oversized && (canonical || res.status === 200)) {
      checkStatus(res, 200);
      const body = JSON.parse(res.text) as { accessToken?: unknown; user?: { id?: unknown } };
      expect(typeof body.accessToken).toBe('string');
      expect(body.user?.id).toBe(user);
      return res;
    }
    const statuses = [400, 401, ...(oversized ? [413] : []), ...(json && !canonical ? [415] : [])];
    checkError(res, {
      status: statuses,
      secrets: [...Object.values(PASSWORDS), ...longStrings(req.body)],
    });
    // (body-parser's 415 names the charset of the request's Content-Type: not the body.)
    const { message } = JSON.parse(res.text) as { message: string | string[] };
    if (res.status === 415) return res;
    for (const line of typeof message === 'string' ? [message] : message) {
      if (!PLAIN_MESSAGE.test(line))
        throw new Error(`message quotes something: ${JSON.stringify(line)}`);
    }
    return res;
  }

  /** JSON text of an object written from `entries`, in order, duplicates and `__proto__` kept. */
  function objectText(entries: ReadonlyArray<readonly [string, unknown]>): string {
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`;
  }

  const USERNAMES = Object.keys(PASSWORDS);
  const demoString = fc.constantFrom(...USERNAMES, ...Object.values(PASSWORDS));
  const loginKey = fc.constantFrom(
    'username',
    'password',
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    'valueOf',
    'Username',
    ' username',
    'username\u0000',
    'password ',
    'refreshToken',
  );
  const jsonType = fc.constantFrom(...JSON_TYPES);

  describe('fuzzing the body of POST /auth/login', () => {
    beforeEach(async () => {
      logins = 0;
      sessionsBefore = await sessionCount(app);
    });
    afterEach(async () => {
      // Exactly one new session per successful login, none for a refused one; the prototype of
      // every object is untouched; a genuine token and a genuine login still work.
      expect(await sessionCount(app)).toBe(sessionsBefore + logins);
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
      expect(({} as Record<string, unknown>).username).toBeUndefined();
      checkStatus(await send(app, 'get', '/me', { Authorization: bearer(alice.accessToken) }), 200);
      await login(app.server, 'bob');
    });

    const anyJson = runs(250);
    it(
      'refuses any JSON value that is not a demo login with 400 or 401',
      async () => {
        await fc.assert(
          fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), jsonType, async (value, contentType) => {
            await expectLogin({ body: JSON.stringify(value) ?? 'null', contentType });
          }),
          fuzzParams(anyJson),
        );
      },
      fuzzTimeout(anyJson),
    );

    const anyObject = runs(150, 0.3);
    it(
      'logs in only with own username and password keys holding exact demo credentials',
      async () => {
        const value = fc.oneof(
          { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
          { weight: 2, arbitrary: demoString },
          { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
        );
        const key = fc.oneof(
          { weight: 2, arbitrary: loginKey },
          { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
        );
        // Arbitrary entries, usually around a username and a password (so that many bodies
        // reach the password check), in any order, duplicates included.
        const entries = fc
          .record({
            others: fc.array(fc.tuple(key, value), { maxLength: 8 }),
            username: fc.option(value, { freq: 4 }),
            password: fc.option(value, { freq: 4 }),
            at: fc.tuple(fc.nat(), fc.nat()),
          })
          .map(({ others, username, password, at }) => {
            const list: Array<readonly [string, unknown]> = [...others];
            if (username !== null)
              list.splice(at[0] % (list.length + 1), 0, ['username', username]);
            if (password !== null)
              list.splice(at[1] % (list.length + 1), 0, ['password', password]);
            return list;
          });
        await fc.assert(
          fc.asyncProperty(entries, jsonType, async (list, contentType) => {
            await expectLogin({ body: objectText(list), contentType });
          }),
          fuzzParams(anyObject),
        );
      },
      fuzzTimeout(anyObject, 60),
    );

    const wrongTypes = runs(200);
    it(
      'refuses a username or password of any other type than string with 400',
      async () => {
        const wrong = fc.oneof(
          fc.jsonValue({ maxDepth: 2 }).filter((v) => typeof v !== 'string'),
          demoString.map((s) => [s]),
          demoString.map((s) => ({ toString: s, valueOf: s, length: s.length })),
          fc.constantFrom<unknown>(null, true, 0, -1, 1e308, [], {}, [null]),
        );
        const field = fc.oneof(wrong, demoString);
        await fc.assert(
          fc.asyncProperty(
            fc
              .record({ username: field, password: field }, { requiredKeys: [] })
              .filter(
                (body) => typeof body.username !== 'string' || typeof body.password !== 'string',
              ),
            jsonType,
            async (body, contentType) => {
              const res = await expectLogin({ body: JSON.stringify(body), contentType });
              checkStatus(res, 400);
            },
          ),
          fuzzParams(wrongTypes),
        );
      },
      fuzzTimeout(wrongTypes),
    );

    const huge = runs(60, 0.2);
    it(
      'refuses huge strings, many keys and deep nesting with 400, 401 or 413, quoting none of them',
      async () => {
        const big = fc
          .tuple(
            fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
            fc.integer({ min: 257, max: 300_000 }),
          )
          .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n));
        const body = fc
          .oneof(
            fc.record({ username: fc.oneof(big, demoString), password: big }),
            fc.record({ username: big, password: fc.oneof(big, demoString) }),
            fc.integer({ min: 1000, max: 20_000 }).map((n) => {
              const entries: Array<[string, unknown]> = Array.from({ length: n }, (_, i) => [
                `k${i}`,
                i,
              ]);
              return Object.fromEntries([...entries, ['username', 'alice'], ['password', 'x']]);
            }),
          )
          .map((value) => JSON.stringify(value));
        // Deep nesting, written out (JSON.stringify would recurse that deep).
        const deep = fc
          .integer({ min: 1000, max: 50_000 })
          .map(
            (depth) => `{"username":"alice","password":${'['.repeat(depth)}${']'.repeat(depth)}}`,
          );
        await fc.assert(
          fc.asyncProperty(fc.oneof(body, deep), jsonType, async (text, contentType) => {
            const res = await expectLogin({ body: text, contentType });
            checkStatus(res, [400, 401, 413]);
          }),
          fuzzParams(huge),
        );
      },
      fuzzTimeout(huge, 100),
    );

    const pollution = runs(80, 0.2);
    it(
      'is not fooled by __proto__, constructor or prototype keys, and pollutes no prototype',
      async () => {
        const creds = fc
          .constantFrom(...USERNAMES)
          .map((u) => ({ username: u, password: PASSWORDS[u] }));
        const poison = fc.oneof(
          creds,
          fc.constant({ isAdmin: true, role: 'admin', polluted: 'yes' }),
          creds.map((c) => ({ prototype: c })),
          creds.map((c) => ({ __proto__: c })),
        );
        const wrapperKey = fc.constantFrom('__proto__', 'constructor', 'prototype');
        const own = fc.oneof(
          fc.constant([] as Array<[string, unknown]>),
          creds.map((c): Array<[string, unknown]> => [
            ['username', c.username],
            ['password', c.password],
          ]),
          fc
            .tuple(fc.constantFrom(...USERNAMES), fc.string({ maxLength: 20 }))
            .map(([u, p]): Array<[string, unknown]> => [
              ['username', u],
              ['password', p],
            ]),
          fc.constantFrom(...USERNAMES).map((u): Array<[string, unknown]> => [['username', u]]),
        );
        const text = fc
          .tuple(
            fc.array(fc.tuple(wrapperKey, poison), { minLength: 1, maxLength: 3 }),
            own,
            fc.nat(),
          )
          .map(([wrappers, ownEntries, at]) => {
            const entries: Array<readonly [string, unknown]> = [...ownEntries];
            for (const [k, v] of wrappers)
              entries.splice(at % (entries.length + 1), 0, [k, rawJson(v)]);
            return objectText(entries).replace(/"@@raw:([^"]*)"/g, (_, b64: string) =>
              Buffer.from(b64, 'base64url').toString('utf8'),
            );
          });
        await fc.assert(
          fc.asyncProperty(text, jsonType, async (body, contentType) => {
            await expectLogin({ body, contentType });
          }),
          fuzzParams(pollution),
        );
      },
      fuzzTimeout(pollution, 100),
    );

    const raw = runs(250);
    it(
      'refuses raw bytes that are not a JSON login, under any content type, with 4xx',
      async () => {
        const genuine = JSON.stringify({ username: 'alice', password: PASSWORDS.alice });
        const fragment = fc.constantFrom(
          '{',
          '}',
          '[',
          ']',
          '"',
          ':',
          ',',
          'null',
          'true',
          '\\',
          '\\u0000',
          'username',
          'password',
          'alice',
          PASSWORDS.alice ?? '',
          ' ',
          '\n',
          '\uFEFF',
          '/*',
          '*/',
          'NaN',
          '1e999',
          '-',
        );
        const body = fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.string({ unit: fragment, maxLength: 40 }),
          // The genuine login cut short, or with a character replaced or added.
          fc.nat(genuine.length - 1).map((n) => genuine.slice(0, n)),
          fc
            .tuple(
              fc.nat(genuine.length),
              fc.string({ unit: fragment, minLength: 1, maxLength: 2 }),
              fc.boolean(),
            )
            .map(
              ([at, s, replace]) => genuine.slice(0, at) + s + genuine.slice(replace ? at + 1 : at),
            ),
        );
        const contentType = fc.constantFrom<string | undefined>(
          ...JSON_TYPES,
          ...OTHER_JSON_TYPES,
          ...NOT_JSON_TYPES,
          undefined,
        );
        await fc.assert(
          fc.asyncProperty(body, contentType, async (text, type) => {
            await expectLogin({ body: text, contentType: type });
          }),
          fuzzParams(raw),
        );
      },
      fuzzTimeout(raw),
    );

    const credentials = runs(40, 0.1);
    it(
      'logs in with exact demo credentials however the JSON is written, and only with those',
      async () => {
        const variant = fc.constantFrom(...USERNAMES).chain((u) => {
          const password = PASSWORDS[u] ?? '';
          const nearMiss = fc.constantFrom(
            [u.toUpperCase(), password],
            [`${u} `, password],
            [u, `${password} `],
            [u, password.toUpperCase()],
            [u, password.slice(0, -1)],
            [u, `${password}\u0000`],
            [`${u}\u0000`, password],
            [u.replace('a', '\u0430'), password], // Cyrillic a
            [u, password.normalize('NFD') + '\u0301'],
            [u, PASSWORDS[u === 'alice' ? 'bob' : 'alice'] ?? ''],
          );
          return fc.record({
            pair: fc.oneof(fc.constant([u, password]), nearMiss),
            escape: fc.boolean(),
            space: fc.constantFrom('', ' ', '\n\t', '  \r\n'),
            reversed: fc.boolean(),
            bom: fc.boolean(),
            extra: fc.option(fc.tuple(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }))),
            shadowed: fc.boolean(), // an earlier duplicate key with another value
          });
        });
        type Variant = typeof variant extends fc.Arbitrary<infer T> ? T : never;
        const plain = {
          escape: false,
          space: '' as const,
          reversed: false,
          bom: false,
          extra: null,
          shadowed: false,
        };
        await fc.assert(
          fc.asyncProperty(variant, jsonType, async (v, contentType) => {
            const [username, password] = v.pair;
            const str = (s: string): string =>
              v.escape
                ? `"${[...s].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`
                : JSON.stringify(s);
            const entries = [
              `"username":${v.space}${str(username ?? '')}`,
              `"password":${v.space}${str(password ?? '')}`,
            ];
            if (v.reversed) entries.reverse();
            if (v.shadowed) entries.unshift('"username":"mallory"', '"password":"nope"');
            if (v.extra && v.extra[0] !== 'username' && v.extra[0] !== 'password') {
              entries.push(`${JSON.stringify(v.extra[0])}:${JSON.stringify(v.extra[1])}`);
            }
            const text = `${v.bom ? '\uFEFF' : ''}{${v.space}${entries.join(`,${v.space}`)}${v.space}}`;
            await expectLogin({ body: text, contentType });
          }),
          fuzzParams<[Variant, string]>(credentials, [
            // A corpus run first: a password with a trailing NUL is not the password.
            [{ ...plain, pair: ['alice', `${PASSWORDS.alice ?? ''}\u0000`] }, 'application/json'],
            [{ ...plain, pair: ['alice', PASSWORDS.alice ?? ''] }, 'application/json'],
          ]),
        );
      },
      fuzzTimeout(credentials, 150),
    );
  });

  /** A value to splice into `objectText` as raw JSON (so that `__proto__` stays an own key). */
  function rawJson(value: unknown): string {
    return `@@raw:${Buffer.from(protoJson(value)).toString('base64url')}`;
  }

  /** JSON text of a value in which `__proto__` keys are written out (JSON.stringify drops them). */
  function protoJson(value: unknown): string {
    if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
    if (Array.isArray(value)) return `[${value.map(protoJson).join(',')}]`;
    const entries = Object.entries(value);
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) entries.unshift(['__proto__', proto]);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${protoJson(v)}`).join(',')}}`;
  }

  describe('after the login fuzz', () => {
    it('logged no error and saw no unhandled rejection or uncaught exception', () => {
      expect(loggedErrors(app)).toEqual([]);
      expect(faults.faults).toEqual([]);
    });
  });
});
