import { randomBytes } from 'node:crypto';
import request from 'supertest';
import {
  ADAPTERS,
  bearer,
  cookieHeader,
  expectCleanErrorBody,
  expectError,
  ISO_DATE,
  login,
  me,
  useSampleApp,
  type HttpServer,
} from '../support/e2e.js';

describe.each(ADAPTERS)('on %s', (adapter) => {
  const t = useSampleApp('e2e-sessions', { HTTP_ADAPTER: adapter }, { cleanEach: true });

  interface ListedSession {
    id: string;
    createdAt: string;
    lastSeenAt: string;
    expiresAt: string;
    userAgent: string;
    ip: string;
    current: boolean;
  }

  function list(server: HttpServer, accessToken: string): request.Test {
    return request(server).get('/auth/sessions').set('Authorization', bearer(accessToken));
  }

  function remove(server: HttpServer, accessToken: string, id: string): request.Test {
    return request(server).delete(`/auth/sessions/${id}`).set('Authorization', bearer(accessToken));
  }

  describe('GET /auth/sessions', () => {
    it("lists the caller's sessions, newest first, with ISO times and the current one marked", async () => {
      const older = await login(t.server, 'alice', 'device-one');
      const newer = await login(t.server, 'alice', 'device-two');
      await login(t.server, 'bob');

      const res = await list(t.server, newer.accessToken);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(Object.keys(res.body as object)).toEqual(['sessions']);
      const { sessions } = res.body as { sessions: ListedSession[] };
      expect(sessions.map((s) => s.id)).toEqual([newer.sessionId, older.sessionId]);
      expect(sessions.map((s) => s.current)).toEqual([true, false]);
      expect(sessions.map((s) => s.userAgent)).toEqual(['device-two', 'device-one']);
      for (const session of sessions) {
        expect(Object.keys(session).sort()).toEqual([
          'createdAt',
          'current',
          'expiresAt',
          'id',
          'ip',
          'lastSeenAt',
          'userAgent',
        ]);
        expect(session.createdAt).toMatch(ISO_DATE);
        expect(session.lastSeenAt).toMatch(ISO_DATE);
        expect(session.expiresAt).toMatch(ISO_DATE);
        expect(Date.parse(session.expiresAt)).toBeGreaterThan(Date.now());
        expect(Date.parse(session.lastSeenAt)).toBeGreaterThanOrEqual(
          Date.parse(session.createdAt),
        );
        expect(typeof session.ip).toBe('string');
      }
      expect(Date.parse(sessions[0].createdAt)).toBeGreaterThanOrEqual(
        Date.parse(sessions[1].createdAt),
      );

      // Seen from the other session, the other one is current.
      const fromOlder = (await list(t.server, older.accessToken)).body as {
        sessions: ListedSession[];
      };
      expect(fromOlder.sessions.map((s) => [s.id, s.current])).toEqual([
        [newer.sessionId, false],
        [older.sessionId, true],
      ]);
    });

    it('works with the access cookie', async () => {
      const session = await login(t.server, 'bob');
      const res = await request(t.server)
        .get('/auth/sessions')
        .set('Cookie', cookieHeader({ access_token: session.accessToken }));
      expect(res.status).toBe(200);
      expect((res.body as { sessions: ListedSession[] }).sessions.map((s) => s.id)).toEqual([
        session.sessionId,
      ]);
    });

    it('refuses a caller without an access token', async () => {
      expectError(await request(t.server).get('/auth/sessions'), 401, 'Unauthorized');
      expectError(
        await request(t.server).get('/auth/sessions').set('Authorization', 'Bearer nope'),
        401,
        'Unauthorized',
      );
    });
  });

  describe('DELETE /auth/sessions/:id', () => {
    it("ends another of the caller's sessions", async () => {
      const phone = await login(t.server, 'alice', 'phone');
      const laptop = await login(t.server, 'alice', 'laptop');

      const res = await remove(t.server, laptop.accessToken, phone.sessionId);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expectError(await me(t.server, phone.accessToken), 401, 'Unauthorized');
      expect((await me(t.server, laptop.accessToken)).status).toBe(200);
      const listed = (await list(t.server, laptop.accessToken)).body as {
        sessions: ListedSession[];
      };
      expect(listed.sessions.map((s) => s.id)).toEqual([laptop.sessionId]);
    });

    it("ends the caller's own session", async () => {
      const session = await login(t.server, 'alice');
      expect((await remove(t.server, session.accessToken, session.sessionId)).status).toBe(204);
      expectError(await me(t.server, session.accessToken), 401, 'Unauthorized');
    });

    it("answers 404 for another user's session, the same as for an unknown one, and keeps it", async () => {
      const alice = await login(t.server, 'alice');
      const bob = await login(t.server, 'bob');
      const theirs = await remove(t.server, alice.accessToken, bob.sessionId);
      expectError(theirs, 404, 'Session not found', [alice.accessToken]);

      // Well-formed, but never issued: alice's user part with a fresh random part.
      const [userPart] = alice.sessionId.split('.');
      const unknownId = `${userPart}.${randomBytes(32).toString('base64url')}`;
      const unknown = await remove(t.server, alice.accessToken, unknownId);
      expectError(unknown, 404, 'Session not found');
      expect(unknown.body).toEqual(theirs.body);

      const stillBob = await me(t.server, bob.accessToken);
      expect(stillBob.status).toBe(200);
    });

    it.each([
      ['a short id', 'abc'],
      ['a very long id', 'a'.repeat(4000)],
      ['a NUL byte', '%00'],
      ['a dot only', '.'],
      ['Redis glob characters', '*'],
      ['an encoded slash', '..%2F..%2Fadmin'],
      ['unicode', encodeURIComponent('séssion{}:')],
    ])('answers 404 for %s', async (_case, id) => {
      const session = await login(t.server, 'alice');
      expectError(await remove(t.server, session.accessToken, id), 404, 'Session not found');
      expect((await me(t.server, session.accessToken)).status).toBe(200);
    });

    it('answers a 4xx JSON error for an id that is not valid percent-encoding', async () => {
      const session = await login(t.server, 'alice');
      const res = await remove(t.server, session.accessToken, '%FF');
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expectCleanErrorBody(res, [session.accessToken]);
    });

    it('refuses a caller without an access token', async () => {
      const session = await login(t.server, 'alice');
      expectError(
        await request(t.server).delete(`/auth/sessions/${session.sessionId}`),
        401,
        'Unauthorized',
      );
      const withRefresh = await request(t.server)
        .delete(`/auth/sessions/${session.sessionId}`)
        .set('Cookie', cookieHeader({ refresh_token: session.refreshToken }));
      expectError(withRefresh, 401, 'Unauthorized');
      expect((await me(t.server, session.accessToken)).status).toBe(200);
    });
  });
});
