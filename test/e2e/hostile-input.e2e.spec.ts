import request from 'supertest';
import {
  ADAPTERS,
  bearer,
  cookieHeader,
  expectCleanErrorBody,
  expectError,
  login,
  useSampleApp,
} from '../support/e2e.js';

describe.each(ADAPTERS)('on %s', (adapter) => {
  const t = useSampleApp('e2e-hostile', { HTTP_ADAPTER: adapter });

  describe('errors outside the session routes', () => {
    it('answers an unknown route with the one error body', async () => {
      const res = await request(t.server).get('/nope');
      expectError(res, 404, 'Cannot GET /nope');
    });

    it('answers an unknown route without echoing its query string', async () => {
      const res = await request(t.server).get('/nope?access_token=aaa.bbb.ccc');
      expectError(res, 404, 'Cannot GET /nope');
    });

    it('routes regardless of case and of a trailing slash', async () => {
      for (const path of ['/PUBLIC', '/public/']) {
        expect((await request(t.server).get(path)).body).toEqual({ ok: true });
      }
    });

    it('answers a malformed percent-encoding in a route parameter with 400', async () => {
      const res = await request(t.server).delete('/auth/sessions/%E0%A4%A');
      expectError(res, 400, 'Malformed URL');
    });

    // A difference between the platforms (README, "Fastify"): Express decodes only the
    // parameters of the route that matched, Fastify's router decodes the whole path first.
    it('answers a malformed percent-encoding elsewhere in the path with 404 on Express, 400 on Fastify', async () => {
      const res = await request(t.server).get('/me/%E0%A4%A');
      if (adapter === 'fastify') expectError(res, 400, 'Malformed URL');
      else expectError(res, 404, 'Cannot GET /me/%E0%A4%A');
    });

    it('answers a GET on a POST-only auth route with 404', async () => {
      expect((await request(t.server).get('/auth/refresh')).status).toBe(404);
      expect((await request(t.server).get('/auth/login')).status).toBe(404);
    });
  });

  describe('hostile headers on guarded routes', () => {
    it.each([
      ['a cookie with bad percent-encoding', { Cookie: 'access_token=%zz; refresh_token=%' }],
      ['a cookie with a quote', { Cookie: 'access_token="' }],
      ['a cookie without a value', { Cookie: 'access_token' }],
      ['an 8 KB cookie', { Cookie: `access_token=${'a'.repeat(8000)}.b.c` }],
      ['a 10 KB Bearer token', { Authorization: bearer(`${'a'.repeat(10_000)}.b.c`) }],
      ['a Bearer header with three parts', { Authorization: 'Bearer a b c' }],
      ['a bare Bearer', { Authorization: 'Bearer' }],
      ['unicode in the token', { Authorization: bearer('ä.ö.ü') }],
    ])('answers 401, not 500, for %s', async (_case, headers) => {
      const res = await request(t.server).get('/me').set(headers);
      expectError(res, 401, 'Unauthorized');
    });

    it('refuses an access cookie sent twice (a planted cookie could shadow ours)', async () => {
      const a = await login(t.server, 'alice');
      const b = await login(t.server, 'bob');
      const res = await request(t.server)
        .get('/me')
        .set('Cookie', `access_token=${a.accessToken}; access_token=${b.accessToken}`);
      expectError(res, 401, 'Unauthorized', [a.accessToken, b.accessToken]);
    });

    it.each([
      ['a JSON array body', []],
      ['a number as refreshToken', { refreshToken: 42 }],
      ['an object as refreshToken', { refreshToken: { $gt: '' } }],
    ])('answers 401 to POST /auth/refresh with %s', async (_case, body) => {
      const res = await request(t.server).post('/auth/refresh').send(body);
      expectError(res, 401, 'Unauthorized');
    });

    it('reads the refresh cookie among unrelated cookies', async () => {
      const session = await login(t.server, 'alice');
      const res = await request(t.server)
        .post('/auth/refresh')
        .set('Cookie', cookieHeader({ refresh_token: session.refreshToken, other: 'x' }));
      expect(res.status).toBe(200);
    });

    it('keeps error bodies free of the tokens presented', async () => {
      const session = await login(t.server, 'alice');
      const tokens = [session.accessToken, session.refreshToken];
      const responses = [
        await request(t.server).get('/admin').set('Authorization', bearer(session.accessToken)),
        await request(t.server)
          .delete('/auth/sessions/nope')
          .set('Authorization', bearer(session.accessToken)),
        await request(t.server)
          .post('/auth/refresh')
          .set('Cookie', cookieHeader({ refresh_token: session.accessToken })),
        await request(t.server)
          .post('/auth/logout')
          .set('Origin', 'https://evil.example')
          .set('Cookie', cookieHeader({ refresh_token: session.refreshToken })),
      ];
      expect(responses.map((res) => res.status)).toEqual([403, 404, 401, 403]);
      for (const res of responses) expectCleanErrorBody(res, tokens);
    });
  });
});
