import request from 'supertest';
import { SessionRepository } from 'nest-redis-sessions';
import {
  ADAPTERS,
  PASSWORDS,
  bearer,
  cookieHeader,
  expectError,
  login,
  useSampleApp,
  useSampleProcess,
  type LoggedIn,
} from '../support/e2e.js';

const MINUTE = 60_000;

describe.each(ADAPTERS)('on %s', (adapter) => {
  describe('step-up in the sample app: POST /auth/reauth and POST /account/sensitive', () => {
    const sample = useSampleApp('step-up', { HTTP_ADAPTER: adapter });

    const sensitive = (token: string) =>
      request(sample.server).post('/account/sensitive').set('Authorization', bearer(token));
    const reauth = (token: string, body: unknown) =>
      request(sample.server)
        .post('/auth/reauth')
        .set('Authorization', bearer(token))
        .send(body as object);
    /** Makes the session's last password check `ageMs` old, as if that much time had passed. */
    async function age(session: LoggedIn, ageMs: number): Promise<void> {
      const now = Date.now();
      await expect(
        sample.app.get(SessionRepository).markFresh(session.sessionId, now - ageMs, now),
      ).resolves.toBe(true);
    }
    function expectNotFresh(res: request.Response): void {
      expect({ status: res.status, body: res.body as unknown }).toEqual({
        status: 403,
        body: {
          statusCode: 403,
          code: 'SESSION_NOT_FRESH',
          message: 'Recent authentication required',
        },
      });
    }

    it('lets a user who has just logged in do the sensitive action', async () => {
      const alice = await login(sample.server, 'alice');
      const res = await sensitive(alice.accessToken).expect(200);
      expect(res.body).toEqual({ ok: true, userId: 'alice' });
    });

    it('asks for the password again after five minutes, and accepts it', async () => {
      const alice = await login(sample.server, 'alice');
      await age(alice, 5 * MINUTE + 1000);
      expectNotFresh(await sensitive(alice.accessToken));

      const res = await reauth(alice.accessToken, { password: PASSWORDS.alice }).expect(204);
      expect(res.text).toBe('');

      await sensitive(alice.accessToken).expect(200);
    });

    it('still allows it at four minutes', async () => {
      const bob = await login(sample.server, 'bob');
      await age(bob, 4 * MINUTE);
      await sensitive(bob.accessToken).expect(200);
    });

    it('refuses a wrong password (even another user’s) with 401 and stays not fresh', async () => {
      const alice = await login(sample.server, 'alice');
      await age(alice, 10 * MINUTE);
      for (const password of ['wrong-password', PASSWORDS.bob, `${PASSWORDS.alice} `]) {
        const res = await reauth(alice.accessToken, { password });
        expectError(res, 401, 'Invalid password', [alice.accessToken, password]);
      }
      expectNotFresh(await sensitive(alice.accessToken));
      // The session itself is untouched by failed attempts.
      await request(sample.server)
        .get('/me')
        .set('Authorization', bearer(alice.accessToken))
        .expect(200);
    });

    it('works with the access cookie from the same site too', async () => {
      const alice = await login(sample.server, 'alice');
      await age(alice, 10 * MINUTE);
      const cookie = cookieHeader({ access_token: alice.accessToken });
      await request(sample.server)
        .post('/auth/reauth')
        .set('Cookie', cookie)
        .send({ password: PASSWORDS.alice })
        .expect(204);
      await request(sample.server).post('/account/sensitive').set('Cookie', cookie).expect(200);
    });

    it('refuses a cookie-authenticated re-authentication from another site', async () => {
      const alice = await login(sample.server, 'alice');
      const res = await request(sample.server)
        .post('/auth/reauth')
        .set('Cookie', cookieHeader({ access_token: alice.accessToken }))
        .set('Origin', 'https://evil.example')
        .send({ password: PASSWORDS.alice });
      expect(res.status).toBe(403);
    });

    it('answers 401 without a live session, before looking at the body', async () => {
      await request(sample.server).post('/auth/reauth').send({ password: 'x' }).expect(401);
      await request(sample.server).post('/account/sensitive').expect(401);
      const alice = await login(sample.server, 'alice');
      await request(sample.server)
        .post('/auth/logout')
        .set('Authorization', bearer(alice.accessToken))
        .expect(204);
      expectError(
        await reauth(alice.accessToken, { password: PASSWORDS.alice }),
        401,
        'Unauthorized',
      );
      expectError(await sensitive(alice.accessToken), 401, 'Unauthorized');
    });

    it.each([
      ['an array', []],
      ['no password', {}],
      ['a number', { password: 12345 }],
      ['null', { password: null }],
      ['an empty password', { password: '' }],
      ['an overlong password', { password: 'p'.repeat(257) }],
      ['a control character', { password: `${PASSWORDS.alice}\u0000` }],
      ['an object', { password: { $ne: '' } }],
    ])('answers 400 for a body with %s', async (_case, body) => {
      const alice = await login(sample.server, 'alice');
      const res = await reauth(alice.accessToken, body);
      expect(res.status).toBe(400);
      expect(Object.keys(res.body as object).sort()).toEqual(['message', 'statusCode']);
      expect(res.text).not.toContain(alice.accessToken);
    });

    it('answers 400 for a form-encoded or malformed JSON body', async () => {
      const alice = await login(sample.server, 'alice');
      const form = await request(sample.server)
        .post('/auth/reauth')
        .set('Authorization', bearer(alice.accessToken))
        .type('form')
        .send(`password=${PASSWORDS.alice}`);
      expectError(form, 400, ['body must be a JSON object with password']);
      const malformed = await request(sample.server)
        .post('/auth/reauth')
        .set('Authorization', bearer(alice.accessToken))
        .set('Content-Type', 'application/json')
        .send(`{"password":"${PASSWORDS.alice}"`);
      expectError(malformed, 400, 'Malformed JSON body', [PASSWORDS.alice]);
    });
  });

  describe('rate limiting of POST /auth/reauth (RATE_LIMIT_PER_MINUTE=3)', () => {
    const app = useSampleProcess('e2e-reauth-limit', {
      HTTP_ADAPTER: adapter,
      RATE_LIMIT_PER_MINUTE: '3',
    });

    it('answers the 4th password guess of a minute with 429, the right password included', async () => {
      const login = await fetch(`${app.url}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: 'alice', password: PASSWORDS.alice }),
      });
      const { accessToken } = (await login.json()) as { accessToken: string };
      const guess = (password: string) =>
        fetch(`${app.url}/auth/reauth`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: bearer(accessToken) },
          body: JSON.stringify({ password }),
        });

      for (const password of ['guess-1', 'guess-2', 'guess-3']) {
        expect((await guess(password)).status).toBe(401);
      }
      const blocked = await guess(PASSWORDS.alice);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    });
  });
});
