import request from 'supertest';
import { ADAPTERS, bearer, expectError, login, me, refresh, useSampleApp } from '../support/e2e.js';

describe.each(ADAPTERS)('on %s', (adapter) => {
  const t = useSampleApp('e2e-max-sessions', { HTTP_ADAPTER: adapter, MAX_SESSIONS_PER_USER: '2' });

  describe('MAX_SESSIONS_PER_USER=2', () => {
    it("evicts the user's earliest session on a third login, and no one else's", async () => {
      const bob = await login(t.server, 'bob');
      const first = await login(t.server, 'alice', 'first');
      const second = await login(t.server, 'alice', 'second');
      const third = await login(t.server, 'alice', 'third');

      expectError(await me(t.server, first.accessToken), 401, 'Unauthorized', [first.accessToken]);
      const evictedRefresh = await refresh(t.server, first.refreshToken);
      expectError(evictedRefresh, 401, 'Unauthorized', [first.refreshToken]);
      expect((await me(t.server, second.accessToken)).status).toBe(200);
      expect((await me(t.server, third.accessToken)).status).toBe(200);
      expect((await me(t.server, bob.accessToken)).status).toBe(200);

      const listed = await request(t.server)
        .get('/auth/sessions')
        .set('Authorization', bearer(third.accessToken));
      expect(listed.status).toBe(200);
      expect(
        (listed.body as { sessions: Array<{ id: string }> }).sessions.map((s) => s.id),
      ).toEqual([third.sessionId, second.sessionId]);
    });
  });
});
