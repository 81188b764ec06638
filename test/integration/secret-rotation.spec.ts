import type { INestApplication } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { MemorySessionRepository, SessionService } from 'nest-redis-sessions';
import { randomText } from '../support/secrets.js';
import { cookieHeader, cookieValue, createTestApp, testOptions } from '../support/session-app.js';

/**
 * A secret rotation as the README describes it: deploy the new secret with the old one in
 * `previousSecrets`, so that tokens issued before the deploy keep working until they expire.
 */
describe('rotating the HMAC secrets', () => {
  const repository = new MemorySessionRepository(); // one store shared by "before" and "after"
  const oldAccess = randomText(40);
  const oldRefresh = randomText(40);
  const newAccess = randomText(40);
  const newRefresh = randomText(40);
  let before: INestApplication;
  let after: INestApplication;
  let withoutPrevious: INestApplication;

  beforeAll(async () => {
    before = await createTestApp(
      testOptions({
        accessToken: { secret: oldAccess },
        refreshToken: { secret: oldRefresh },
        repository,
      }),
    );
    after = await createTestApp(
      testOptions({
        accessToken: { secret: newAccess, previousSecrets: [oldAccess] },
        refreshToken: { secret: newRefresh, previousSecrets: [oldRefresh] },
        repository,
      }),
    );
    withoutPrevious = await createTestApp(
      testOptions({
        accessToken: { secret: newAccess },
        refreshToken: { secret: newRefresh },
        repository,
      }),
    );
  });
  afterAll(async () => {
    await Promise.all([before.close(), after.close(), withoutPrevious.close()]);
  });

  it('accepts tokens signed with a previous secret, and signs new ones with the current secret', async () => {
    const login = await request(before.getHttpServer()).post('/login').expect(201);
    const { accessToken } = login.body as { accessToken: string };

    await request(after.getHttpServer())
      .get('/me')
      .set('Authorization', `Bearer ${accessToken}`)
      .expect(200);
    await request(withoutPrevious.getHttpServer())
      .get('/me')
      .set('Authorization', `Bearer ${accessToken}`)
      .expect(401);

    const refreshed = await request(after.getHttpServer())
      .post('/auth/refresh')
      .set('Cookie', cookieHeader(login.headers['set-cookie']))
      .expect(200);
    const newAccessToken = (refreshed.body as { accessToken: string }).accessToken;
    const newRefreshToken = cookieValue(refreshed.headers['set-cookie'], 'refresh_token')!;
    expect(() => jwt.verify(newAccessToken, newAccess, { algorithms: ['HS256'] })).not.toThrow();
    expect(() => jwt.verify(newAccessToken, oldAccess, { algorithms: ['HS256'] })).toThrow();
    expect(() => jwt.verify(newRefreshToken, newRefresh, { algorithms: ['HS256'] })).not.toThrow();

    // The old deployment does not know the new secret.
    await request(before.getHttpServer())
      .get('/me')
      .set('Authorization', `Bearer ${newAccessToken}`)
      .expect(401);
  });

  it('lets SessionService.refresh() verify a token signed with a previous secret', async () => {
    const issued = await before.get(SessionService).create({ id: 'rotating' });
    const refreshed = await after.get(SessionService).refresh(issued.refreshToken);
    expect(refreshed.sessionId).toBe(issued.sessionId);
    await expect(
      withoutPrevious.get(SessionService).refresh(refreshed.refreshToken),
    ).resolves.toMatchObject({ sessionId: issued.sessionId });
    await expect(
      withoutPrevious.get(SessionService).refresh(issued.refreshToken),
    ).rejects.toMatchObject({ status: 401 });
  });

  it('still refuses a token signed with the other kind of secret', async () => {
    const login = await request(before.getHttpServer()).post('/login').expect(201);
    const refreshToken = cookieValue(login.headers['set-cookie'], 'refresh_token')!;
    await request(after.getHttpServer())
      .get('/me')
      .set('Authorization', `Bearer ${refreshToken}`)
      .expect(401);
  });
});

describe('cookies.prefix', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createTestApp(
      testOptions({ repository: new MemorySessionRepository(), cookies: { prefix: true } }),
    );
  });
  afterAll(async () => app.close());

  it('sets __Host- and __Secure- cookies with the attributes browsers require, and reads them', async () => {
    const server = app.getHttpServer();
    const login = await request(server).post('/login').expect(201);
    const cookies = login.headers['set-cookie'] as unknown as string[];
    const access = cookies.find((c) => c.startsWith('__Host-access_token='))!;
    const refresh = cookies.find((c) => c.startsWith('__Secure-refresh_token='))!;
    expect(access).toMatch(/; Path=\/;/);
    expect(access).toContain('; Secure');
    expect(access).not.toMatch(/Domain=/i);
    expect(refresh).toMatch(/; Path=\/auth;/);
    expect(refresh).toContain('; Secure');

    const jar = cookieHeader(cookies);
    await request(server).get('/me').set('Cookie', jar).expect(200);
    await request(server).post('/auth/refresh').set('Cookie', jar).expect(200);

    // The unprefixed names are not read: a cookie planted without the prefix does nothing.
    const accessToken = cookieValue(cookies, '__Host-access_token')!;
    await request(server).get('/me').set('Cookie', `access_token=${accessToken}`).expect(401);
  });
});
