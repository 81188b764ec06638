import request from 'supertest';
import {
  ADAPTERS,
  bearer,
  cookieHeader,
  expectError,
  login,
  me,
  useSampleApp,
  type HttpServer,
  type LoggedIn,
} from '../support/e2e.js';

describe.each(ADAPTERS)('on %s', (adapter) => {
  const HOST = 'sample.test:8080';
  // Behind a TLS-terminating proxy: the app sees plain http, the browser's page is https.
  const OWN_ORIGIN = `https://${HOST}`;
  const ALLOWED = 'https://app.example';
  const EVIL = 'https://evil.example';

  const t = useSampleApp(
    'e2e-cross-site',
    { HTTP_ADAPTER: adapter, ALLOWED_ORIGINS: `${ALLOWED}, https://other.example` },
    { cleanEach: true },
  );

  /** A request as a browser on `HOST` would send it, with the given extra headers. */
  function send(
    server: HttpServer,
    method: 'post' | 'delete' | 'get' | 'options',
    path: string,
    headers: Record<string, string>,
  ): request.Test {
    return request(server)[method](path).set('Host', HOST).set(headers);
  }

  function refreshCookie(session: LoggedIn): Record<string, string> {
    return { Cookie: cookieHeader({ refresh_token: session.refreshToken }) };
  }

  function accessCookie(session: LoggedIn): Record<string, string> {
    return { Cookie: cookieHeader({ access_token: session.accessToken }) };
  }

  async function isAlive(session: LoggedIn): Promise<boolean> {
    const res = await me(t.server, session.accessToken);
    return res.status === 200;
  }

  const CROSS_SITE: Array<[string, Record<string, string>]> = [
    ['a foreign Origin', { Origin: EVIL }],
    ['Origin: null', { Origin: 'null' }],
    ['an Origin on another port of the same host', { Origin: 'http://sample.test:9090' }],
    ['a malformed Origin', { Origin: 'not an origin' }],
    ['Sec-Fetch-Site: cross-site and no Origin', { 'Sec-Fetch-Site': 'cross-site' }],
    [
      'a foreign Origin with Sec-Fetch-Site: same-origin',
      { Origin: EVIL, 'Sec-Fetch-Site': 'same-origin' },
    ],
    // Secure cookies: a plain-http page on the same host is a downgrade, not the app's own page.
    ['its own host over plain http', { Origin: `http://${HOST}` }],
    ['a non-web scheme on its own host', { Origin: `ftp://${HOST}` }],
  ];

  const SAME_SITE: Array<[string, Record<string, string>]> = [
    ['no Origin and no Sec-Fetch-Site (a non-browser client)', {}],
    ['its own Origin', { Origin: OWN_ORIGIN }],
    ['an allowed Origin', { Origin: ALLOWED }],
    [
      'an allowed Origin with Sec-Fetch-Site: cross-site',
      { Origin: ALLOWED, 'Sec-Fetch-Site': 'cross-site' },
    ],
    ['Sec-Fetch-Site: same-origin and no Origin', { 'Sec-Fetch-Site': 'same-origin' }],
  ];

  describe('cookie-authenticated POST /auth/refresh', () => {
    it.each(CROSS_SITE)(
      'refuses %s with 403 and leaves the session alone',
      async (_case, headers) => {
        const session = await login(t.server, 'alice');
        const res = await send(t.server, 'post', '/auth/refresh', {
          ...refreshCookie(session),
          ...headers,
        });
        expectError(res, 403, 'Cross-site request refused', [session.refreshToken]);
        expect(res.headers['set-cookie']).toBeUndefined();
        expect(await isAlive(session)).toBe(true);
      },
    );

    it.each(SAME_SITE)('accepts %s', async (_case, headers) => {
      const session = await login(t.server, 'alice');
      const res = await send(t.server, 'post', '/auth/refresh', {
        ...refreshCookie(session),
        ...headers,
      });
      expect(res.status).toBe(200);
      expect((res.body as { sessionId: string }).sessionId).toBe(session.sessionId);
    });
  });

  describe('cookie-authenticated POST /auth/logout', () => {
    it.each(CROSS_SITE)('refuses %s with the refresh cookie', async (_case, headers) => {
      const session = await login(t.server, 'alice');
      const res = await send(t.server, 'post', '/auth/logout', {
        ...refreshCookie(session),
        ...headers,
      });
      expectError(res, 403, 'Cross-site request refused');
      expect(await isAlive(session)).toBe(true);
    });

    it.each(CROSS_SITE)('refuses %s with the access cookie', async (_case, headers) => {
      const session = await login(t.server, 'alice');
      const res = await send(t.server, 'post', '/auth/logout', {
        ...accessCookie(session),
        ...headers,
      });
      expectError(res, 403, 'Cross-site request refused');
      expect(await isAlive(session)).toBe(true);
    });

    it.each(SAME_SITE)('accepts %s', async (_case, headers) => {
      const session = await login(t.server, 'alice');
      const res = await send(t.server, 'post', '/auth/logout', {
        ...refreshCookie(session),
        ...headers,
      });
      expect(res.status).toBe(204);
      expect(await isAlive(session)).toBe(false);
    });
  });

  describe('other cookie-authenticated writes', () => {
    it('refuses a cross-site POST /auth/logout-all', async () => {
      const session = await login(t.server, 'alice');
      const res = await send(t.server, 'post', '/auth/logout-all', {
        ...accessCookie(session),
        Origin: EVIL,
      });
      expectError(res, 403, 'Cross-site request refused');
      expect(await isAlive(session)).toBe(true);
    });

    it('refuses a cross-site DELETE /auth/sessions/:id', async () => {
      const victim = await login(t.server, 'alice');
      const session = await login(t.server, 'alice');
      const res = await send(t.server, 'delete', `/auth/sessions/${victim.sessionId}`, {
        ...accessCookie(session),
        'Sec-Fetch-Site': 'cross-site',
      });
      expectError(res, 403, 'Cross-site request refused');
      expect(await isAlive(victim)).toBe(true);
    });

    it('accepts a same-origin DELETE /auth/sessions/:id', async () => {
      const victim = await login(t.server, 'alice');
      const session = await login(t.server, 'alice');
      const res = await send(t.server, 'delete', `/auth/sessions/${victim.sessionId}`, {
        ...accessCookie(session),
        Origin: OWN_ORIGIN,
      });
      expect(res.status).toBe(204);
      expect(await isAlive(victim)).toBe(false);
    });
  });

  describe('requests that the cross-site check does not apply to', () => {
    it('answers a cookie-authenticated GET from a foreign Origin', async () => {
      const session = await login(t.server, 'alice');
      const res = await send(t.server, 'get', '/me', { ...accessCookie(session), Origin: EVIL });
      expect(res.status).toBe(200);
    });

    it('accepts Bearer-authenticated writes from a foreign Origin', async () => {
      const other = await login(t.server, 'alice');
      const session = await login(t.server, 'alice');
      const auth = { Authorization: bearer(session.accessToken), Origin: EVIL };

      const sessions = await send(t.server, 'get', '/auth/sessions', auth);
      expect(sessions.status).toBe(200);
      const removed = await send(t.server, 'delete', `/auth/sessions/${other.sessionId}`, {
        ...auth,
        'Sec-Fetch-Site': 'cross-site',
      });
      expect(removed.status).toBe(204);
      const logout = await send(t.server, 'post', '/auth/logout', auth);
      expect(logout.status).toBe(204);
      expect(await isAlive(session)).toBe(false);

      const third = await login(t.server, 'bob');
      const all = await send(t.server, 'post', '/auth/logout-all', {
        Authorization: bearer(third.accessToken),
        Origin: EVIL,
      });
      expect(all.status).toBe(204);
      expect(await isAlive(third)).toBe(false);
    });
  });

  describe('CORS (only ALLOWED_ORIGINS, with credentials)', () => {
    it('lets an allowed origin preflight a credentialed DELETE and read the answers', async () => {
      const preflight = await send(t.server, 'options', '/auth/sessions/some-id', {
        Origin: ALLOWED,
        'Access-Control-Request-Method': 'DELETE',
        'Access-Control-Request-Headers': 'authorization',
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers).toMatchObject({
        'access-control-allow-origin': ALLOWED,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'GET,HEAD,POST,DELETE',
      });
      expect(preflight.headers['access-control-allow-headers']).toMatch(/^authorization$/i);

      const session = await login(t.server, 'alice');
      const res = await send(t.server, 'get', '/me', { ...accessCookie(session), Origin: ALLOWED });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
    });

    it.each([
      ['malformed JSON', 'application/json', '{"username":', 400, 'Malformed JSON body'],
      [
        'a body over 100 KiB',
        'application/json',
        `{"a":"${'x'.repeat(110_000)}"}`,
        413,
        'Payload Too Large',
      ],
      [
        'a charset it cannot read',
        'application/json; charset=latin1',
        '{}',
        415,
        'Unsupported Media Type',
      ],
    ])(
      'lets an allowed origin read the error answer to %s (CORS before the body parser)',
      async (_what, type, body, status, message) => {
        const res = await send(t.server, 'post', '/auth/login', { Origin: ALLOWED })
          .set('Content-Type', type)
          .send(body);
        expectError(res, status, message);
        expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
        expect(res.headers['access-control-allow-credentials']).toBe('true');
      },
    );

    it('answers an OPTIONS from an allowed origin without Access-Control-Request-Method as a preflight', async () => {
      const res = await send(t.server, 'options', '/me', { Origin: ALLOWED });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(res.headers).toMatchObject({
        'access-control-allow-origin': ALLOWED,
        'access-control-allow-credentials': 'true',
        'access-control-allow-methods': 'GET,HEAD,POST,DELETE',
      });
    });

    it.each([EVIL, 'null', OWN_ORIGIN])(
      'gives %s no CORS headers, preflight included',
      async (origin) => {
        const session = await login(t.server, 'alice');
        const responses = [
          await send(t.server, 'options', '/auth/refresh', {
            Origin: origin,
            'Access-Control-Request-Method': 'POST',
          }),
          await send(t.server, 'get', '/me', { ...accessCookie(session), Origin: origin }),
        ];
        for (const res of responses) {
          expect(res.headers['access-control-allow-origin']).toBeUndefined();
          expect(res.headers['access-control-allow-credentials']).toBeUndefined();
        }
      },
    );
  });
});
