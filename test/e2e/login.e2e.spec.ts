import { gzipSync } from 'node:zlib';
import request from 'supertest';
import {
  ADAPTERS,
  bearer,
  cookieHeader,
  expectError,
  ISO_DATE,
  login,
  setCookie,
  setCookies,
  tamper,
  useSampleApp,
} from '../support/e2e.js';

describe.each(ADAPTERS)('on %s', (adapter) => {
  const t = useSampleApp('e2e-login', { HTTP_ADAPTER: adapter }, { cleanEach: true });

  describe('POST /auth/login', () => {
    it('answers the access token, the session and the user, and sets both cookies', async () => {
      const before = Date.now();
      const res = await request(t.server)
        .post('/auth/login')
        .send({ username: 'alice', password: 'alice-password-1' });

      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.body as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual([
        'accessToken',
        'accessTokenExpiresAt',
        'sessionId',
        'user',
      ]);
      expect(body.user).toEqual({ id: 'alice', role: 'user' });
      expect(body.accessToken).toEqual(expect.any(String));
      expect(body.sessionId).toEqual(expect.any(String));
      expect(body.accessTokenExpiresAt).toMatch(ISO_DATE);
      const expiresIn = Date.parse(body.accessTokenExpiresAt as string) - before;
      expect(expiresIn).toBeGreaterThan(14 * 60_000);
      expect(expiresIn).toBeLessThanOrEqual(15 * 60_000 + 1000);

      const cookies = setCookies(res);
      expect(cookies.get('access_token')?.value).toBe(body.accessToken);
      expect(cookies.get('refresh_token')?.value).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(res.text).not.toContain(cookies.get('refresh_token')?.value);
    });

    it('sets HttpOnly, Secure, SameSite=Strict cookies: access on Path=/, refresh on Path=/auth', async () => {
      const res = await request(t.server)
        .post('/auth/login')
        .send({ username: 'bob', password: 'bob-password-1' });
      expect(res.status).toBe(200);

      const access = setCookie(res, 'access_token');
      expect(access.attributes).toMatchObject({ httponly: true, secure: true, path: '/' });
      expect(String(access.attributes.samesite).toLowerCase()).toBe('strict');
      expect(Number(access.attributes['max-age'])).toBeGreaterThanOrEqual(15 * 60 - 2);
      expect(Number(access.attributes['max-age'])).toBeLessThanOrEqual(15 * 60);

      const refresh = setCookie(res, 'refresh_token');
      expect(refresh.attributes).toMatchObject({ httponly: true, secure: true, path: '/auth' });
      expect(String(refresh.attributes.samesite).toLowerCase()).toBe('strict');
      expect(Number(refresh.attributes['max-age'])).toBeGreaterThanOrEqual(7 * 86_400 - 2);
      expect(Number(refresh.attributes['max-age'])).toBeLessThanOrEqual(7 * 86_400);
      expect(refresh.attributes.domain).toBeUndefined();
    });

    it('opens a fresh session on every login and never adopts a cookie planted before it', async () => {
      const first = await login(t.server, 'alice');
      const res = await request(t.server)
        .post('/auth/login')
        .set(
          'Cookie',
          cookieHeader({ access_token: first.accessToken, refresh_token: first.refreshToken }),
        )
        .send({ username: 'alice', password: 'alice-password-1' });

      expect(res.status).toBe(200);
      const body = res.body as { sessionId: string; accessToken: string };
      expect(body.sessionId).not.toBe(first.sessionId);
      expect(body.accessToken).not.toBe(first.accessToken);
      expect(setCookie(res, 'refresh_token').value).not.toBe(first.refreshToken);
    });

    it.each([
      ['an unknown user', { username: 'mallory', password: 'alice-password-1' }],
      ['a wrong password', { username: 'alice', password: 'bob-password-1' }],
      ['a password of another case', { username: 'alice', password: 'ALICE-PASSWORD-1' }],
      ['a username of another case', { username: 'Alice', password: 'alice-password-1' }],
    ])('refuses %s with one message and sets no cookie', async (_case, body) => {
      const res = await request(t.server).post('/auth/login').send(body);
      expectError(res, 401, 'Invalid username or password');
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it.each([
      ['an empty object', {}, ['username must be a string', 'password must be a string']],
      ['a JSON array', [], ['body must be a JSON object with username and password']],
      ['a missing password', { username: 'alice' }, ['password must be a string']],
      ['a number as username', { username: 42, password: 'x' }, ['username must be a string']],
      [
        'an array as password',
        { username: 'alice', password: ['alice-password-1'] },
        ['password must be a string'],
      ],
      [
        'an object as username',
        { username: { $ne: null }, password: 'alice-password-1' },
        ['username must be a string'],
      ],
      [
        'null fields',
        { username: null, password: null },
        ['username must be a string', 'password must be a string'],
      ],
      [
        'empty strings',
        { username: '', password: '' },
        ['username must not be empty', 'password must not be empty'],
      ],
      [
        'a 257-character username',
        { username: 'a'.repeat(257), password: 'alice-password-1' },
        ['username must be at most 256 characters'],
      ],
      [
        'a 257-character password',
        { username: 'alice', password: 'p'.repeat(257) },
        ['password must be at most 256 characters'],
      ],
      [
        // scrypt (HMAC) pads with zero bytes: without this, "pw\0" would log in as "pw".
        'the right password with a NUL appended',
        { username: 'alice', password: 'alice-password-1\u0000' },
        ['password must not contain control characters'],
      ],
      [
        'a control character in the username',
        { username: 'alice\n', password: 'alice-password-1' },
        ['username must not contain control characters'],
      ],
    ])('answers 400 with a list of problems for %s', async (_case, body, message) => {
      const res = await request(t.server).post('/auth/login').send(body);
      expectError(res, 400, message);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('answers 400 when the fields come only through the prototype', async () => {
      const res = await request(t.server)
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .send('{"__proto__":{"username":"alice","password":"alice-password-1"}}');
      expectError(res, 400, ['username must be a string', 'password must be a string']);
    });

    it.each([
      ['no body at all', undefined, undefined],
      [
        'a form body',
        'application/x-www-form-urlencoded',
        'username=alice&password=alice-password-1',
      ],
      ['a text body', 'text/plain', '{"username":"alice","password":"alice-password-1"}'],
    ])('answers 400 for %s (JSON only)', async (_case, contentType, body) => {
      let req = request(t.server).post('/auth/login');
      if (contentType) req = req.set('Content-Type', contentType);
      const res = await (body === undefined ? req : req.send(body));
      expectError(res, 400, ['body must be a JSON object with username and password']);
    });

    it.each([
      ['truncated JSON', '{"username":"alice","password":"secret-pass-xyz'],
      ['a bare string', '"secret-pass-xyz"'],
      ['JSON null', 'null'],
      ['not JSON', 'username=alice&password=secret-pass-xyz'],
    ])('answers 400 without a stack or an echo of the body for %s', async (_case, body) => {
      const res = await request(t.server)
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .send(body);
      expectError(res, 400, 'Malformed JSON body');
      expect(res.text).not.toContain('secret-pass');
    });

    it('answers an empty JSON body like an empty object', async () => {
      const res = await request(t.server)
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .set('Content-Length', '0');
      expectError(res, 400, ['username must be a string', 'password must be a string']);
    });

    it('answers a 4xx JSON error for a body over the size limit', async () => {
      const res = await request(t.server)
        .post('/auth/login')
        .send({ username: 'alice', password: 'x'.repeat(200_000) });
      expectError(res, 413, 'Payload Too Large');
    });

    it('answers a compressed body with 415', async () => {
      const res = await request(t.server)
        .post('/auth/login')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .send(gzipSync(JSON.stringify({ username: 'alice', password: 'alice-password-1' })));
      expectError(res, 415, 'Unsupported Media Type');
    });
  });

  describe('GET /public', () => {
    it('answers without any credentials', async () => {
      const res = await request(t.server).get('/public');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ok: true });
    });
  });

  describe('GET /me', () => {
    it('answers the caller with a Bearer access token', async () => {
      const session = await login(t.server, 'alice');
      const res = await request(t.server)
        .get('/me')
        .set('Authorization', bearer(session.accessToken));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ userId: 'alice', sessionId: session.sessionId, role: 'user' });
    });

    it('answers the caller with the access cookie', async () => {
      const session = await login(t.server, 'bob');
      const res = await request(t.server)
        .get('/me')
        .set('Cookie', cookieHeader({ access_token: session.accessToken }));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ userId: 'bob', sessionId: session.sessionId, role: 'user' });
    });

    it('refuses a request without a token', async () => {
      expectError(await request(t.server).get('/me'), 401, 'Unauthorized');
    });

    it.each([
      ['a garbage Bearer token', { Authorization: 'Bearer garbage' }],
      ['an empty Bearer token', { Authorization: 'Bearer ' }],
      ['a Basic header', { Authorization: 'Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQtMQ==' }],
      ['a garbage cookie', { Cookie: 'access_token=garbage' }],
      ['a JWT-shaped garbage cookie', { Cookie: 'access_token=aaa.bbb.ccc' }],
    ])('refuses %s', async (_case, headers) => {
      const res = await request(t.server).get('/me').set(headers);
      expectError(res, 401, 'Unauthorized');
    });

    it('refuses an access token with a forged signature', async () => {
      const session = await login(t.server, 'alice');
      const forged = tamper(session.accessToken);
      const res = await request(t.server).get('/me').set('Authorization', bearer(forged));
      expectError(res, 401, 'Unauthorized', [session.accessToken, forged]);
    });

    it('refuses an unsigned (alg none) copy of a real access token', async () => {
      const session = await login(t.server, 'alice');
      const [, payload] = session.accessToken.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString(
        'base64url',
      );
      for (const token of [`${header}.${payload}.`, `${header}.${payload}.x`]) {
        const res = await request(t.server).get('/me').set('Authorization', bearer(token));
        expectError(res, 401, 'Unauthorized', [session.accessToken]);
      }
    });

    it('refuses a refresh token presented as an access token', async () => {
      const session = await login(t.server, 'alice');
      const asBearer = await request(t.server)
        .get('/me')
        .set('Authorization', bearer(session.refreshToken));
      expectError(asBearer, 401, 'Unauthorized', [session.refreshToken]);
      const asCookie = await request(t.server)
        .get('/me')
        .set('Cookie', cookieHeader({ access_token: session.refreshToken }));
      expectError(asCookie, 401, 'Unauthorized', [session.refreshToken]);
    });

    it('never reads an access token from the query string or the body', async () => {
      const session = await login(t.server, 'alice');
      const inQuery = await request(t.server)
        .get('/me')
        .query({ access_token: session.accessToken, accessToken: session.accessToken });
      expectError(inQuery, 401, 'Unauthorized', [session.accessToken]);
      const inBody = await request(t.server)
        .get('/me')
        .send({ access_token: session.accessToken, accessToken: session.accessToken });
      expectError(inBody, 401, 'Unauthorized', [session.accessToken]);
    });
  });

  describe('GET /admin', () => {
    it('answers a session whose role is admin', async () => {
      const session = await login(t.server, 'admin');
      const res = await request(t.server)
        .get('/admin')
        .set('Authorization', bearer(session.accessToken));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ok: true });
    });

    it('refuses a signed-in user of another role with 403', async () => {
      const session = await login(t.server, 'alice');
      const res = await request(t.server)
        .get('/admin')
        .set('Authorization', bearer(session.accessToken));
      expectError(res, 403, 'Forbidden', [session.accessToken]);
    });

    it('refuses a caller without a session with 401', async () => {
      expectError(await request(t.server).get('/admin'), 401, 'Unauthorized');
    });
  });
});
