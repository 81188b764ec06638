import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { MemorySessionRepository, SessionService } from 'nest-redis-sessions';
import { cookieHeader, cookieValue, createTestApp, testOptions } from '../support/session-app.js';

/** ASVS 7.2.4: authentication makes a new session and ends the one the browser held. */
describe('logging in again from the same browser', () => {
  let app: INestApplication;
  let sessions: SessionService;
  beforeAll(async () => {
    app = await createTestApp(testOptions({ repository: new MemorySessionRepository() }));
    sessions = app.get(SessionService);
  });
  afterAll(async () => app.close());

  const login = (cookie?: string, user = 'alice') => {
    const req = request(app.getHttpServer()).post(`/login?user=${user}`);
    return (cookie ? req.set('Cookie', cookie) : req).expect(201);
  };

  it('ends the session whose cookies the browser sends, and starts a fresh one', async () => {
    const first = await login();
    const second = await login(cookieHeader(first.headers['set-cookie']));
    expect(second.body.sessionId).not.toBe(first.body.sessionId);
    await expect(sessions.get(first.body.sessionId)).resolves.toBeNull();
    await expect(sessions.get(second.body.sessionId)).resolves.not.toBeNull();
  });

  it('ends it with only the access cookie too', async () => {
    const first = await login();
    const access = cookieValue(first.headers['set-cookie'], 'access_token')!;
    await login(`access_token=${access}`);
    await expect(sessions.get(first.body.sessionId)).resolves.toBeNull();
  });

  it('ends nothing for a forged or foreign-looking cookie, and keeps other sessions', async () => {
    const other = await login(undefined, 'bob');
    const elsewhere = await login(); // alice on another device
    const access = cookieValue(elsewhere.headers['set-cookie'], 'access_token')!;
    const [header, payload] = access.split('.');
    await login(`access_token=${header}.${payload}.forged-signature; refresh_token=garbage`);
    await expect(sessions.get(elsewhere.body.sessionId)).resolves.not.toBeNull();
    await expect(sessions.get(other.body.sessionId)).resolves.not.toBeNull();
  });
});
