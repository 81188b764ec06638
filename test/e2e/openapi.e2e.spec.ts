import request from 'supertest';
import { SESSION_SECURITY_SCHEMES } from 'nest-redis-sessions/openapi';
import { ACCESS_SECRET, ADAPTERS, REFRESH_SECRET, useSampleApp } from '../support/e2e.js';

describe.each(ADAPTERS)('GET /openapi.json of the sample app on %s', (adapter) => {
  const t = useSampleApp('e2e-openapi', { HTTP_ADAPTER: adapter });

  it('serves the OpenAPI document with the session routes and their security schemes', async () => {
    const res = await request(t.server).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const document = JSON.parse(res.text) as {
      openapi: string;
      paths: Record<string, Record<string, { tags?: string[] }>>;
      components: { securitySchemes: Record<string, { name?: string }> };
    };
    expect(document.openapi).toMatch(/^3\./);
    expect(document.paths['/auth/refresh']?.post?.tags).toEqual(['sessions']);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/auth/login',
        '/auth/refresh',
        '/auth/logout',
        '/auth/logout-all',
        '/auth/sessions',
        '/auth/sessions/{id}',
        '/health',
      ]),
    );
    const schemes = document.components.securitySchemes;
    expect(schemes[SESSION_SECURITY_SCHEMES.accessCookie]?.name).toBe('access_token');
    expect(schemes[SESSION_SECURITY_SCHEMES.refreshCookie]?.name).toBe('refresh_token');
    for (const secret of [
      ACCESS_SECRET,
      REFRESH_SECRET,
      t.env.REDIS_URL ?? '',
      t.env.REDIS_KEY_PREFIX,
    ]) {
      expect(res.text).not.toContain(secret);
    }
  });
});
