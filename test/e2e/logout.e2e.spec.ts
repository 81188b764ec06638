import request from 'supertest';
import {
  ADAPTERS,
  bearer,
  cookieHeader,
  expectError,
  login,
  me,
  refresh,
  setCookie,
  useSampleApp,
} from '../support/e2e.js';

describe.each(ADAPTERS)('on %s', (adapter) => {
  const t = useSampleApp('e2e-logout', { HTTP_ADAPTER: adapter }, { cleanEach: true });

  function expectCookiesCleared(res: request.Response): void {
    const access = setCookie(res, 'access_token');
    expect(access.value).toBe('');
    expect(access.attributes).toMatchObject({ 'max-age': '0', path: '/', httponly: true });
    const refreshCookie = setCookie(res, 'refresh_token');
    expect(refreshCookie.value).toBe('');
    expect(refreshCookie.attributes).toMatchObject({
      'max-age': '0',
      path: '/auth',
      httponly: true,
    });
  }

  describe('POST /auth/logout', () => {
    it('ends the session of a Bearer access token and clears both cookies', async () => {
      const session = await login(t.server, 'alice');
      const other = await login(t.server, 'alice');
      const res = await request(t.server)
        .post('/auth/logout')
        .set('Authorization', bearer(session.accessToken));

      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expectCookiesCleared(res);
      expectError(await me(t.server, session.accessToken), 401, 'Unauthorized');
      expectError(await refresh(t.server, session.refreshToken), 401, 'Unauthorized');
      // Another session of the same user goes on.
      expect((await me(t.server, other.accessToken)).status).toBe(200);
    });

    it('ends the session of the access cookie', async () => {
      const session = await login(t.server, 'bob');
      const res = await request(t.server)
        .post('/auth/logout')
        .set('Cookie', cookieHeader({ access_token: session.accessToken }));
      expect(res.status).toBe(204);
      expectCookiesCleared(res);
      expectError(await me(t.server, session.accessToken), 401, 'Unauthorized');
    });

    it('ends the session with the refresh cookie alone (expired access token)', async () => {
      const session = await login(t.server, 'alice');
      const res = await request(t.server)
        .post('/auth/logout')
        .set('Cookie', cookieHeader({ refresh_token: session.refreshToken }));
      expect(res.status).toBe(204);
      expectCookiesCleared(res);
      expectError(await me(t.server, session.accessToken), 401, 'Unauthorized');
      expectError(await refresh(t.server, session.refreshToken), 401, 'Unauthorized');
    });

    it('refuses a second logout with the same token', async () => {
      const session = await login(t.server, 'alice');
      const logout = (): request.Test =>
        request(t.server).post('/auth/logout').set('Authorization', bearer(session.accessToken));
      expect((await logout()).status).toBe(204);
      expectError(await logout(), 401, 'Unauthorized', [session.accessToken]);
    });

    it.each([
      ['no credentials', {}],
      ['a garbage Bearer token', { Authorization: 'Bearer garbage' }],
      ['a garbage refresh cookie', { Cookie: 'refresh_token=aaa.bbb.ccc' }],
    ])('refuses %s', async (_case, headers) => {
      expectError(await request(t.server).post('/auth/logout').set(headers), 401, 'Unauthorized');
    });

    it('never reads a token from the query string or the body', async () => {
      const session = await login(t.server, 'alice');
      const inQuery = await request(t.server)
        .post('/auth/logout')
        .query({ access_token: session.accessToken, refresh_token: session.refreshToken });
      expectError(inQuery, 401, 'Unauthorized', [session.accessToken, session.refreshToken]);
      const inBody = await request(t.server).post('/auth/logout').send({
        accessToken: session.accessToken,
        refreshToken: session.refreshToken,
      });
      expectError(inBody, 401, 'Unauthorized', [session.accessToken, session.refreshToken]);
      expect((await me(t.server, session.accessToken)).status).toBe(200);
    });
  });

  describe('POST /auth/logout-all', () => {
    it("ends every session of the caller's user and no one else's", async () => {
      const laptop = await login(t.server, 'alice', 'laptop');
      const phone = await login(t.server, 'alice', 'phone');
      const bob = await login(t.server, 'bob');

      const res = await request(t.server)
        .post('/auth/logout-all')
        .set('Authorization', bearer(laptop.accessToken));
      expect(res.status).toBe(204);
      expect(res.text).toBe('');

      for (const session of [laptop, phone]) {
        expectError(await me(t.server, session.accessToken), 401, 'Unauthorized');
        expectError(await refresh(t.server, session.refreshToken), 401, 'Unauthorized');
      }
      const stillBob = await me(t.server, bob.accessToken);
      expect(stillBob.status).toBe(200);
      expect(stillBob.body).toEqual({ userId: 'bob', sessionId: bob.sessionId, role: 'user' });
      expect((await refresh(t.server, bob.refreshToken)).status).toBe(200);
    });

    it('works with the access cookie', async () => {
      const session = await login(t.server, 'alice');
      const res = await request(t.server)
        .post('/auth/logout-all')
        .set('Cookie', cookieHeader({ access_token: session.accessToken }));
      expect(res.status).toBe(204);
      expectError(await me(t.server, session.accessToken), 401, 'Unauthorized');
    });

    it('refuses a caller without an access token, even with a refresh cookie', async () => {
      const session = await login(t.server, 'alice');
      expectError(await request(t.server).post('/auth/logout-all'), 401, 'Unauthorized');
      const withRefresh = await request(t.server)
        .post('/auth/logout-all')
        .set('Cookie', cookieHeader({ refresh_token: session.refreshToken }));
      expectError(withRefresh, 401, 'Unauthorized', [session.refreshToken]);
      expect((await me(t.server, session.accessToken)).status).toBe(200);
    });

    it('refuses the access token of a session that was already revoked', async () => {
      const session = await login(t.server, 'alice');
      const logoutAll = (): request.Test =>
        request(t.server)
          .post('/auth/logout-all')
          .set('Authorization', bearer(session.accessToken));
      expect((await logoutAll()).status).toBe(204);
      expectError(await logoutAll(), 401, 'Unauthorized', [session.accessToken]);
    });
  });
});
