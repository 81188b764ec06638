import request from 'supertest';
import {
  ADAPTERS,
  bearer,
  expectError,
  ISO_DATE,
  login,
  me,
  refresh,
  setCookie,
  setCookies,
  sleep,
  tamper,
  useSampleApp,
} from '../support/e2e.js';

describe.each(ADAPTERS)('on %s', (adapter) => {
  describe('POST /auth/refresh (default reuse grace of 10s)', () => {
    const t = useSampleApp('e2e-refresh', { HTTP_ADAPTER: adapter }, { cleanEach: true });

    it('rotates the refresh cookie and answers a new access token for the same session', async () => {
      const session = await login(t.server, 'alice');
      const before = Date.now();
      const res = await refresh(t.server, session.refreshToken);

      expect(res.status).toBe(200);
      // It carries a token (body and Set-Cookie): no cache may keep it.
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.body as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual([
        'accessToken',
        'accessTokenExpiresAt',
        'sessionId',
      ]);
      expect(body.sessionId).toBe(session.sessionId);
      expect(body.accessToken).toEqual(expect.any(String));
      expect(body.accessTokenExpiresAt).toMatch(ISO_DATE);
      expect(Date.parse(body.accessTokenExpiresAt as string) - before).toBeGreaterThan(14 * 60_000);

      const access = setCookie(res, 'access_token');
      const rotated = setCookie(res, 'refresh_token');
      expect(access.value).toBe(body.accessToken);
      expect(access.attributes).toMatchObject({ httponly: true, secure: true, path: '/' });
      expect(rotated.value).not.toBe(session.refreshToken);
      expect(rotated.attributes).toMatchObject({ httponly: true, secure: true, path: '/auth' });
      expect(String(rotated.attributes.samesite).toLowerCase()).toBe('strict');
      expect(Number(rotated.attributes['max-age'])).toBeGreaterThanOrEqual(7 * 86_400 - 2);
      expect(res.text).not.toContain(rotated.value);

      const who = await me(t.server, body.accessToken as string);
      expect(who.status).toBe(200);
      expect(who.body).toEqual({ userId: 'alice', sessionId: session.sessionId, role: 'user' });

      // The rotated cookie is the one the next refresh uses.
      const next = await refresh(t.server, rotated.value);
      expect(next.status).toBe(200);
      expect((next.body as { sessionId: string }).sessionId).toBe(session.sessionId);
    });

    it('answers a just-rotated refresh token inside the grace window with the same session', async () => {
      const session = await login(t.server, 'alice');
      const first = await refresh(t.server, session.refreshToken);
      expect(first.status).toBe(200);
      const current = setCookie(first, 'refresh_token').value;

      const replay = await refresh(t.server, session.refreshToken);
      expect(replay.status).toBe(200);
      const body = replay.body as { sessionId: string; accessToken: string };
      expect(body.sessionId).toBe(session.sessionId);
      expect(setCookie(replay, 'access_token').value).toBe(body.accessToken);
      expect(setCookie(replay, 'refresh_token').value).toEqual(expect.any(String));

      // No second branch: the tokens of both answers act on the one session.
      expect((await me(t.server, body.accessToken)).status).toBe(200);
      const accessOfFirst = (first.body as { accessToken: string }).accessToken;
      expect((await me(t.server, accessOfFirst)).status).toBe(200);
      const afterGrace = await refresh(t.server, current);
      expect(afterGrace.status).toBe(200);
      expect((afterGrace.body as { sessionId: string }).sessionId).toBe(session.sessionId);
    });

    it('refuses a request without a refresh token', async () => {
      expectError(await request(t.server).post('/auth/refresh'), 401, 'Unauthorized');
    });

    it.each([
      ['garbage', 'garbage'],
      ['JWT-shaped garbage', 'aaa.bbb.ccc'],
      ['an empty value', ''],
    ])('refuses a refresh cookie holding %s', async (_case, value) => {
      const res = await request(t.server)
        .post('/auth/refresh')
        .set('Cookie', `refresh_token=${value}`);
      expectError(res, 401, 'Unauthorized');
    });

    it('refuses a forged refresh token and leaves the session alive', async () => {
      const session = await login(t.server, 'alice');
      const forged = tamper(session.refreshToken);
      expectError(await refresh(t.server, forged), 401, 'Unauthorized', [
        forged,
        session.refreshToken,
      ]);
      expect((await me(t.server, session.accessToken)).status).toBe(200);
      expect((await refresh(t.server, session.refreshToken)).status).toBe(200);
    });

    it('refuses an access token in the refresh cookie', async () => {
      const session = await login(t.server, 'alice');
      const res = await refresh(t.server, session.accessToken);
      expectError(res, 401, 'Unauthorized', [session.accessToken]);
    });

    it('never reads the refresh token from a Bearer header, the query string or the body', async () => {
      const session = await login(t.server, 'alice');
      const token = session.refreshToken;
      const asBearer = await request(t.server)
        .post('/auth/refresh')
        .set('Authorization', bearer(token));
      expectError(asBearer, 401, 'Unauthorized', [token]);
      const inQuery = await request(t.server)
        .post('/auth/refresh')
        .query({ refresh_token: token, refreshToken: token });
      expectError(inQuery, 401, 'Unauthorized', [token]);
      const inBody = await request(t.server)
        .post('/auth/refresh')
        .send({ refreshToken: token, refresh_token: token });
      expectError(inBody, 401, 'Unauthorized', [token]);
      // None of those attempts touched the session.
      expect((await refresh(t.server, token)).status).toBe(200);
    });

    it('answers 400 without echoing a malformed JSON body', async () => {
      const session = await login(t.server, 'alice');
      const res = await request(t.server)
        .post('/auth/refresh')
        .set('Content-Type', 'application/json')
        .send(`{"refreshToken":"${session.refreshToken}`);
      expect(res.status).toBe(400);
      expect(Object.keys(res.body as object).sort()).toEqual(['message', 'statusCode']);
      expect(res.text).not.toContain(session.refreshToken.split('.')[2]);
    });
  });

  describe('POST /auth/refresh with REUSE_GRACE=0', () => {
    const t = useSampleApp('e2e-refresh-nograce', { HTTP_ADAPTER: adapter, REUSE_GRACE: '0' });

    it('revokes the whole session when a rotated refresh token is replayed', async () => {
      const session = await login(t.server, 'alice');
      const other = await login(t.server, 'alice');
      const first = await refresh(t.server, session.refreshToken);
      expect(first.status).toBe(200);
      const newAccess = (first.body as { accessToken: string }).accessToken;
      const newRefresh = setCookie(first, 'refresh_token').value;

      const replay = await refresh(t.server, session.refreshToken);
      expectError(replay, 401, 'Unauthorized', [session.refreshToken]);
      // No new tokens: a cookie it sets, if any, only clears one.
      for (const cookie of setCookies(replay).values()) expect(cookie.value).toBe('');

      expectError(await me(t.server, newAccess), 401, 'Unauthorized', [newAccess]);
      expectError(await me(t.server, session.accessToken), 401, 'Unauthorized');
      expectError(await refresh(t.server, newRefresh), 401, 'Unauthorized', [newRefresh]);
      // Only the session whose token was replayed ends.
      expect((await me(t.server, other.accessToken)).status).toBe(200);
    });
  });

  describe('POST /auth/refresh with REUSE_GRACE=1s', () => {
    const t = useSampleApp('e2e-refresh-grace', { HTTP_ADAPTER: adapter, REUSE_GRACE: '1s' });

    it('answers a replay inside the grace window, then revokes the session once it has passed', async () => {
      const session = await login(t.server, 'alice');
      const rotated = await refresh(t.server, session.refreshToken);
      const rotatedAt = Date.now();
      expect(rotated.status).toBe(200);
      const newAccess = (rotated.body as { accessToken: string }).accessToken;

      // A replay is answered while the grace lasts (it changes nothing), refused once it is over.
      const statuses: number[] = [];
      let last: request.Response | undefined;
      const deadline = rotatedAt + 5000;
      while (Date.now() < deadline) {
        last = await refresh(t.server, session.refreshToken);
        statuses.push(last.status);
        if (last.status !== 200) break;
        await sleep(100);
      }
      const refusedAfter = Date.now() - rotatedAt;

      expect(statuses[0]).toBe(200);
      expect(statuses.at(-1)).toBe(401);
      expect(statuses.slice(0, -1).every((status) => status === 200)).toBe(true);
      expect(refusedAfter).toBeGreaterThanOrEqual(900);
      if (last) expectError(last, 401, 'Unauthorized', [session.refreshToken]);
      expectError(await me(t.server, newAccess), 401, 'Unauthorized', [newAccess]);
    });
  });
});
