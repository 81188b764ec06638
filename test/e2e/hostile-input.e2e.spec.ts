import request from 'supertest';
import {
  bearer,
  cookieHeader,
  expectCleanErrorBody,
  expectError,
  login,
  useSampleApp,
} from './e2e-helpers.js';

const t = useSampleApp('e2e-hostile');

describe('errors outside the session routes', () => {
  it('answers an unknown route with the one error body', async () => {
    const res = await request(t.server).get('/nope');
    expectError(res, 404, 'Cannot GET /nope');
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
