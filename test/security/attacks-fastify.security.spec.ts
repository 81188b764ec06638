import { gzipSync } from 'node:zlib';
import request from 'supertest';
import {
  ADAPTERS,
  PASSWORDS,
  bearer,
  cookieHeader,
  expectCleanErrorBody,
  expectError,
  type LoggedIn,
} from '../support/e2e.js';
import {
  ensureLive,
  expectRefusal,
  expectStoreUnchanged,
  listeningPort,
  rawExchange,
  rawRequest,
  remember,
  send,
  useSampleApp,
  type RawResponse,
} from '../support/security.js';

/**
 * What the HTTP platform parses before the module sees a request (headers, URL, body), attacked
 * on Fastify (with @fastify/cookie registered) and on Express alike: the answer must be the same
 * contract on both, `{ statusCode, message }` without an echo of what was sent.
 */
const TARGETS = ADAPTERS.map(
  (adapter) => [adapter, useSampleApp(`platform-${adapter}`, { HTTP_ADAPTER: adapter })] as const,
);

const LOGIN_PROBLEM = ['body must be a JSON object with username and password'];
const MISSING_FIELDS = ['username must be a string', 'password must be a string'];

/** A raw request with a body, `Content-Length` set to the body's length unless given. */
function rawWithBody(
  method: string,
  path: string,
  headers: ReadonlyArray<readonly [string, string]>,
  body: Buffer | string,
): Buffer {
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const hasLength = headers.some(([name]) => /^(content-length|transfer-encoding)$/i.test(name));
  const head = rawRequest(method, path, [
    ...headers,
    ...(hasLength ? [] : [['Content-Length', String(bytes.length)] as const]),
  ]);
  return Buffer.concat([head, bytes]);
}

/** Asserts a raw answer is `{ statusCode, message }` with `status` and echoes none of `secrets`. */
function expectRawError(
  res: RawResponse,
  status: number,
  message: string | string[],
  secrets: readonly string[] = [],
): void {
  expect({ status: res.status, body: JSON.parse(res.text) as unknown }).toEqual({
    status,
    body: { statusCode: status, message },
  });
  for (const secret of secrets)
    expect(`${res.text}${JSON.stringify(res.headers)}`).not.toContain(secret);
}

describe.each(TARGETS)('on %s', (adapter, target) => {
  let alice: LoggedIn;

  beforeEach(async () => {
    alice = await ensureLive(target, alice, 'alice');
  });

  describe('headers', () => {
    it('answers a header block over 16 KiB with 431 before any route, and echoes nothing', async () => {
      const port = await listeningPort(target);
      const token = alice.accessToken;
      const res = await rawExchange(
        port,
        rawRequest('GET', '/me', [
          ['Authorization', bearer(token)],
          ['X-Padding', 'p'.repeat(17_000)],
        ]),
      );
      expect(res.status).toBe(431);
      expect(res.text).not.toContain(token);
    });

    it('answers a 15 KB cookie header (under the limit) with the clean 401', async () => {
      const res = await send(target, 'get', '/me').set(
        'Cookie',
        `junk=${'j'.repeat(15_000)}; access_token=${alice.accessToken}x`,
      );
      expectRefusal(res, [alice.accessToken]);
    });

    it('refuses a genuine Bearer line followed by an empty Authorization line', async () => {
      const port = await listeningPort(target);
      const res = await rawExchange(
        port,
        rawRequest('GET', '/me', [
          ['Authorization', bearer(alice.accessToken)],
          ['authorization', ''],
        ]),
      );
      expectRawError(res, 401, 'Unauthorized', [alice.accessToken]);
    });

    it('answers a request with both Content-Length and Transfer-Encoding with 400, unrouted', async () => {
      const port = await listeningPort(target);
      const smuggled = 'GET /me HTTP/1.1\r\nHost: x\r\n\r\n';
      const res = await rawExchange(
        port,
        rawWithBody(
          'POST',
          '/auth/refresh',
          [
            ['Content-Length', '4'],
            ['Transfer-Encoding', 'chunked'],
          ],
          `0\r\n\r\n${smuggled}`,
        ),
      );
      expect(res.status).toBe(400);
    });

    it.each([
      ['an unknown method', rawRequest('FOO', '/me', []), 400],
      ['a space in the path', rawRequest('GET', '/me x', []), 400],
      [
        'two Content-Length lines',
        rawWithBody(
          'POST',
          '/auth/login',
          [
            ['Content-Length', '2'],
            ['Content-Length', '3'],
          ],
          '{}',
        ),
        400,
      ],
      [
        'a header block over 16 KiB',
        rawRequest('GET', '/me', [['X-Padding', 'p'.repeat(17_000)]]),
        431,
      ],
    ])(
      "answers a request Node's parser refuses (%s) as Node does: status line, no body",
      async (_what, bytes, status) => {
        const res = await rawExchange(await listeningPort(target), bytes);
        expect(res).toEqual({ status, headers: { connection: 'close' }, text: '' });
      },
    );
  });

  describe('the URL', () => {
    it('answers a malformed percent-encoding in :id with 400 "Malformed URL", not quoting the URL', async () => {
      const marker = remember('url-secret-marker');
      const res = await send(target, 'delete', `/auth/sessions/${marker}%E0%A4%A`).set(
        'Authorization',
        bearer(alice.accessToken),
      );
      expectError(res, 400, 'Malformed URL');
      expect(res.text).not.toContain(marker);
    });

    it('answers a 4,000-character :id with the 404 of an unknown session (not a 414)', async () => {
      const res = await send(target, 'delete', `/auth/sessions/${'a'.repeat(4000)}`).set(
        'Authorization',
        bearer(alice.accessToken),
      );
      expectError(res, 404, 'Session not found');
    });

    it('routes /ME and /me/ to the guarded handler, never around it', async () => {
      for (const path of ['/ME', '/me/', '/Me/']) {
        expectRefusal(await send(target, 'get', path), []);
        const ok = await send(target, 'get', path).set('Authorization', bearer(alice.accessToken));
        expect(ok.status).toBe(200);
      }
    });

    // A difference between the platforms (README, "Fastify"): Fastify's router decodes the whole
    // path before matching, so `%65` is an `e` there; Express matches the path as sent.
    it('routes a percent-encoded letter in a fixed segment on Fastify only, to the guarded handler', async () => {
      for (const path of ['/m%65', '/%61uth/sessions']) {
        const anonymous = await send(target, 'get', path);
        const withToken = await send(target, 'get', path).set(
          'Authorization',
          bearer(alice.accessToken),
        );
        if (adapter === 'fastify') {
          expectRefusal(anonymous, []);
          expect(withToken.status).toBe(200);
        } else {
          expectError(anonymous, 404, `Cannot GET ${path}`);
          expectError(withToken, 404, `Cannot GET ${path}`);
        }
      }
      // The login's rate limit is matched by handler, so the encoded path counts as the login.
      const login = await send(target, 'post', '/auth/%6cogin').send({
        username: 'x',
        password: 'y',
      });
      if (adapter === 'fastify') expectError(login, 401, 'Invalid username or password');
      else expectError(login, 404, 'Cannot POST /auth/%6cogin');
    });

    it('does not echo the query string of an unknown route', async () => {
      const res = await send(target, 'get', `/nope?access_token=${alice.accessToken}`);
      expectRefusal(res, [alice.accessToken], 404, 'Cannot GET /nope');
    });
  });

  describe('the body', () => {
    it.each([
      ['truncated JSON', '{"username":"alice","password":"body-secret-1'],
      ['a bare string', '"body-secret-1"'],
      ['JSON null', 'null'],
      ['a number', '12345678'],
      ['a form body labelled JSON', 'username=alice&password=body-secret-1'],
      ['10,000 nested arrays', '['.repeat(10_000)],
    ])('answers %s on POST /auth/login with 400 "Malformed JSON body"', async (_case, body) => {
      const res = await send(target, 'post', '/auth/login')
        .set('Content-Type', 'application/json')
        .send(body);
      expectError(res, 400, 'Malformed JSON body');
      expect(res.text).not.toContain('body-secret');
    });

    it('answers malformed JSON holding a refresh token without quoting it, and rotates nothing', async () => {
      const token = alice.refreshToken;
      await expectStoreUnchanged(target, async () => {
        for (const path of ['/auth/refresh', '/auth/logout']) {
          const res = await send(target, 'post', path)
            .set('Content-Type', 'application/json')
            .send(`{"refreshToken":"${token}"`);
          expectRefusal(res, [token], 400, 'Malformed JSON body');
        }
      });
    });

    it.each([
      ['text/plain', '{"username":"alice","password":"alice-password-1"}'],
      ['application/x-www-form-urlencoded', 'username=alice&password=alice-password-1'],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--',
      ],
      ['application/xml', '<login><username>alice</username></login>'],
      ['application/json-patch+json', '{"username":"alice","password":"alice-password-1"}'],
      ['application/vnd.api+json', '{"username":"alice","password":"alice-password-1"}'],
      ['json', '{"username":"alice","password":"alice-password-1"}'],
      ['application/json/x', '{"username":"alice","password":"alice-password-1"}'],
      [';', '{"username":"alice","password":"alice-password-1"}'],
      ['', '{"username":"alice","password":"alice-password-1"}'],
    ])('refuses a login sent as "%s" with the 400 of a non-JSON body', async (type, body) => {
      const port = await listeningPort(target);
      const headers: Array<[string, string]> = [['Content-Type', type]];
      const res = await rawExchange(port, rawWithBody('POST', '/auth/login', headers, body));
      expectRawError(res, 400, LOGIN_PROBLEM);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('refuses a login without a Content-Type', async () => {
      const port = await listeningPort(target);
      const body = JSON.stringify({ username: 'alice', password: PASSWORDS.alice });
      const res = await rawExchange(port, rawWithBody('POST', '/auth/login', [], body));
      expectRawError(res, 400, LOGIN_PROBLEM);
    });

    it('never reads a refresh token from a form body', async () => {
      const token = alice.refreshToken;
      await expectStoreUnchanged(target, async () => {
        const res = await send(target, 'post', '/auth/refresh')
          .type('form')
          .send(`refreshToken=${token}`);
        expectRefusal(res, [token]);
      });
    });

    it('drops __proto__ and constructor.prototype keys (no 500, no polluted fields)', async () => {
      const bodies = [
        `{"__proto__":{"username":"alice","password":"${PASSWORDS.alice}"}}`,
        `{"constructor":{"prototype":{"username":"alice","password":"${PASSWORDS.alice}"}}}`,
      ];
      for (const body of bodies) {
        const res = await send(target, 'post', '/auth/login')
          .set('Content-Type', 'application/json')
          .send(body);
        expectError(res, 400, MISSING_FIELDS);
      }
      expect(({} as Record<string, unknown>).username).toBeUndefined();
    });

    it('reads a JSON body after a byte order mark, as body-parser does', async () => {
      const res = await send(target, 'post', '/auth/login')
        .set('Content-Type', 'application/json')
        .send(`\ufeff{"password":"body-secret-1"}`);
      expectError(res, 400, ['username must be a string']);
    });

    it('answers an empty JSON body with the missing-fields 400', async () => {
      const port = await listeningPort(target);
      const res = await rawExchange(
        port,
        rawWithBody('POST', '/auth/login', [['Content-Type', 'application/json']], ''),
      );
      expectRawError(res, 400, MISSING_FIELDS);
    });

    it('answers a body over 100 KiB with 413, declared or chunked', async () => {
      const big = JSON.stringify({ username: 'alice', password: 'x'.repeat(110_000) });
      const declared = await send(target, 'post', '/auth/login')
        .set('Content-Type', 'application/json')
        .send(big);
      expectError(declared, 413, 'Payload Too Large');

      const port = await listeningPort(target);
      const chunked = await rawExchange(
        port,
        rawWithBody(
          'POST',
          '/auth/login',
          [
            ['Content-Type', 'application/json'],
            ['Transfer-Encoding', 'chunked'],
          ],
          `${Buffer.byteLength(big).toString(16)}\r\n${big}\r\n0\r\n\r\n`,
        ),
      );
      expectRawError(chunked, 413, 'Payload Too Large');
    });

    it.each([
      ['gzip', gzipSync(JSON.stringify({ username: 'alice', password: PASSWORDS.alice }))],
      ['deflate', Buffer.from('not really deflated')],
      ['x-evil', Buffer.from('{}')],
    ])('answers a JSON body in Content-Encoding %s with 415', async (encoding, body) => {
      const res = await send(target, 'post', '/auth/login')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', encoding)
        .send(body);
      expectError(res, 415, 'Unsupported Media Type');
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it.each([
      ['utf-16le', 'utf16le'],
      ['UTF-16', 'utf16le'],
    ] as const)('reads a JSON body in charset=%s', async (charset, encoding) => {
      const port = await listeningPort(target);
      const json = JSON.stringify({ username: 'alice', password: PASSWORDS.alice });
      const res = await rawExchange(
        port,
        rawWithBody(
          'POST',
          '/auth/login',
          [['Content-Type', `application/json; charset=${charset}`]],
          Buffer.from(json, encoding),
        ),
      );
      expect(res.status).toBe(200);
    });

    // The one body difference between the platforms (README, "Fastify"): body-parser decodes
    // UTF-32 (iconv-lite), Node's TextDecoder, which the Fastify sample uses, does not.
    it('reads a JSON body in charset=utf-32le on Express, answers 415 on Fastify', async () => {
      const port = await listeningPort(target);
      const json = JSON.stringify({ username: 'alice', password: PASSWORDS.alice });
      const utf32 = Buffer.alloc(json.length * 4);
      for (let i = 0; i < json.length; i += 1) utf32.writeUInt32LE(json.charCodeAt(i), i * 4);
      const res = await rawExchange(
        port,
        rawWithBody(
          'POST',
          '/auth/login',
          [['Content-Type', 'application/json; charset=utf-32le']],
          utf32,
        ),
      );
      if (adapter === 'fastify') expectRawError(res, 415, 'Unsupported Media Type');
      else expect(res.status).toBe(200);
    });

    // Differences between the platforms (README, "Fastify"): body-parser reads a GET's body,
    // Fastify does not; neither adds an ETag (the sample turns Express's off); Fastify sends
    // `Content-Length: 0` on a HEAD answered 204.
    it('reads a GET body on Express only; no ETag on either; a HEAD 204 has a length on Fastify only', async () => {
      const res = await send(target, 'get', '/me')
        .set('Authorization', bearer(alice.accessToken))
        .set('Content-Type', 'application/json')
        .send('{"truncated":');
      if (adapter === 'fastify') expect(res.status).toBe(200);
      else expectError(res, 400, 'Malformed JSON body');

      const page = await send(target, 'get', '/');
      expect(page.status).toBe(200);
      expect(page.headers.etag).toBeUndefined();

      const favicon = await rawExchange(
        await listeningPort(target),
        rawRequest('HEAD', '/favicon.ico', []),
      );
      expect(favicon.status).toBe(204);
      expect(favicon.headers['content-length']).toBe(adapter === 'fastify' ? '0' : undefined);
    });

    it.each(['  ', '\r\n'])(
      'answers a blank JSON body %j with 400 "Malformed JSON body"',
      async (body) => {
        const port = await listeningPort(target);
        const res = await rawExchange(
          port,
          rawWithBody('POST', '/auth/login', [['Content-Type', 'application/json']], body),
        );
        expectRawError(res, 400, 'Malformed JSON body');
      },
    );

    it('answers an unknown charset with 415, not quoting it', async () => {
      const res = await send(target, 'post', '/auth/login')
        .set('Content-Type', 'application/json; charset=x-evil-charset')
        .send('{}');
      expectError(res, 415, 'Unsupported Media Type');
      expect(res.text).not.toContain('x-evil');
    });
  });

  describe('the error bodies', () => {
    it('never carries a stack or a platform error code', async () => {
      const responses = [
        await send(target, 'get', '/nope'),
        await request(target.server).put('/me'),
        await send(target, 'delete', '/auth/sessions/%E0%A4%A'),
        await send(target, 'post', '/auth/login').set('Content-Type', 'application/json').send('{'),
      ];
      for (const res of responses) {
        expectCleanErrorBody(res);
        expect(res.text).not.toMatch(/FST_|code|error/);
      }
    });

    it('refuses a forged Bearer token with the one 401 (cookie header present and ignored)', async () => {
      const res = await send(target, 'get', '/me')
        .set('Authorization', bearer(tamperSignature(alice.accessToken)))
        .set('Cookie', cookieHeader({ access_token: alice.accessToken }));
      expectRefusal(res, [alice.accessToken]);
    });
  });
});

/** The token with one character of its signature changed: never the same token (unlike overwriting
 * the last characters with fixed ones, which a signature may already end with). */
function tamperSignature(token: string): string {
  const at = token.lastIndexOf('.') + 10;
  return `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`;
}
