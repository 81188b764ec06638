import { ADAPTERS, useSampleProcess } from '../support/e2e.js';

describe.each(ADAPTERS)('on %s', (adapter) => {
  describe('rate limiting of login and refresh (RATE_LIMIT_PER_MINUTE=3)', () => {
    const app = useSampleProcess('e2e-rate-limit', {
      HTTP_ADAPTER: adapter,
      RATE_LIMIT_PER_MINUTE: '3',
    });

    const post = (path: string, init: RequestInit = {}) =>
      fetch(`${app.url}${path}`, { method: 'POST', ...init });
    const loginAs = (password: string, path = '/auth/login') =>
      post(path, {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'bob', password }),
      });

    it('answers the 4th login attempt of a minute with 429 and Retry-After, wrong passwords included', async () => {
      expect((await loginAs('wrong-1')).status).toBe(401);
      expect((await loginAs('wrong-2')).status).toBe(401);
      const ok = await loginAs('bob-password-1');
      expect(ok.status).toBe(200);
      const { accessToken } = (await ok.json()) as { accessToken: string };
      const refreshCookie = ok.headers.getSetCookie().find((c) => c.startsWith('refresh_token='))!;

      const blocked = await loginAs('bob-password-1');
      expect(blocked.status).toBe(429);
      expect(await blocked.json()).toEqual({ statusCode: 429, message: 'Too many requests' });
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      // The limit belongs to the handler, however the path that reached it was spelt.
      for (const path of ['/AUTH/LOGIN', '/auth/login/', '/Auth/Login/']) {
        expect((await loginAs('bob-password-1', path)).status).toBe(429);
      }

      // Other routes are not limited.
      for (let i = 0; i < 8; i += 1) {
        const me = await fetch(`${app.url}/me`, {
          headers: { Authorization: `Bearer ${accessToken}` },
        });
        expect(me.status).toBe(200);
      }

      // Refresh has a counter of its own: 3 pass, the 4th is refused.
      let cookie = refreshCookie.split(';')[0];
      for (let i = 0; i < 3; i += 1) {
        const res = await post('/auth/refresh', { headers: { Cookie: cookie } });
        expect(res.status).toBe(200);
        cookie = res.headers
          .getSetCookie()
          .find((c) => c.startsWith('refresh_token='))!
          .split(';')[0];
      }
      const refreshBlocked = await post('/auth/refresh', { headers: { Cookie: cookie } });
      expect(refreshBlocked.status).toBe(429);
      expect(refreshBlocked.headers.get('retry-after')).not.toBeNull();
    });

    it('reflects no CORS credentials to a foreign or null origin', async () => {
      for (const origin of ['https://evil.example', 'null']) {
        const res = await fetch(`${app.url}/me`, { headers: { Origin: origin } });
        expect(res.headers.get('access-control-allow-origin')).toBeNull();
      }
    });
  });
});
