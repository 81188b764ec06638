import { ACCESS_SECRET, bearer, cookieHeader, setCookie, tamper } from '../support/e2e.js';
import {
  CROSS_SITE,
  SECRET,
  TYP,
  auditedValueCount,
  claimsOf,
  expectRefusal,
  forge,
  listeningPort,
  logLeaks,
  mint,
  nowSeconds,
  rawExchange,
  rawRequest,
  remember,
  rememberResponse,
  send,
  signIn,
  suiteLogger,
  useSampleApp,
} from '../support/security.js';

// Every attacks-*.security.spec.ts file runs its apps with the capturing logger and audits it
// when it ends (see test/support/security.ts). This file adds the attacks whose handling is most
// likely to log: reuse detection, malformed bodies, requests Node itself refuses.
const target = useSampleApp('logs', { REUSE_GRACE: '0' });

describe('logs', () => {
  it('captures the app’s log (the audit looks at real output)', () => {
    expect(suiteLogger.lines.some((line) => line.includes('Sessions are stored in Redis'))).toBe(
      true,
    );
  });

  it('logs a refresh token reuse as a warning naming the user, never the token', async () => {
    const session = await signIn(target, 'alice');
    const rotated = await send(target, 'post', '/auth/refresh').set(
      'Cookie',
      cookieHeader({ refresh_token: session.refreshToken }),
    );
    rememberResponse(rotated);
    expect(rotated.status).toBe(200);
    remember(setCookie(rotated, 'refresh_token').value);

    const replayed = await send(target, 'post', '/auth/refresh').set(
      'Cookie',
      cookieHeader({ refresh_token: session.refreshToken }),
    );
    expectRefusal(replayed, [session.refreshToken]);
    const warnings = suiteLogger.lines.filter((line) => /reuse/i.test(line));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('"alice"');
    expect(logLeaks()).toEqual([]);
  });

  it('keeps tokens and passwords of malformed JSON bodies out of the answer and the log', async () => {
    const session = await signIn(target, 'bob');
    const bodies: Array<[string, string]> = [
      ['/auth/refresh', `{"refreshToken":"${session.refreshToken}"`],
      [
        '/auth/login',
        `{"username":"bob","password":"bob-password-1","token":"${session.accessToken}`,
      ],
    ];
    for (const [path, body] of bodies) {
      const res = await send(target, 'post', path).type('json').send(body);
      expectRefusal(
        res,
        [session.refreshToken, session.accessToken, 'bob-password-1'],
        400,
        'Malformed JSON body',
      );
    }
    expect(suiteLogger.lines.join('\n')).not.toContain('bob-password-1');
  });

  it('logs nothing sensitive for a tour of refused tokens and requests', async () => {
    const session = await signIn(target, 'admin');
    const claims = claimsOf(session.accessToken);
    const tokens = [
      forge({ alg: 'none', typ: TYP.access }, claims, ''),
      mint(claims, 'secret'),
      mint(claims, SECRET.refresh),
      mint({ ...claims, exp: nowSeconds() - 10 }, SECRET.access),
      mint(claims, SECRET.access, { header: { jku: 'http://127.0.0.1:9/jwks.json' } }),
      tamper(session.accessToken),
    ];
    for (const token of tokens) {
      remember(token);
      expectRefusal(await send(target, 'get', '/admin').set('Authorization', bearer(token)), [
        token,
      ]);
    }
    const crossSite = await send(target, 'post', '/auth/logout-all')
      .set('Origin', 'https://evil.example')
      .set('Cookie', cookieHeader({ access_token: session.accessToken }));
    expectRefusal(crossSite, [session.accessToken], 403, CROSS_SITE);
    const port = await listeningPort(target);
    const huge = await rawExchange(
      port,
      rawRequest('GET', '/me', [
        ['Authorization', bearer(`${session.accessToken}${'a'.repeat(70_000)}`)],
      ]),
    );
    expect(huge.status).toBe(431);
    const control = await rawExchange(
      port,
      rawRequest('GET', '/me', [
        ['Authorization', Buffer.from(`Bearer \u0001${session.accessToken}`)],
      ]),
    );
    expect(control.status).toBe(400);
    expect(
      (await send(target, 'get', '/admin').set('Authorization', bearer(session.accessToken)))
        .status,
    ).toBe(200);
  });

  it('finds a planted leak (the audit itself works)', () => {
    const token = mint({ sub: 'planted' }, SECRET.access);
    const first = suiteLogger.lines.length;
    suiteLogger.warn(`debugging with ${ACCESS_SECRET}`);
    suiteLogger.error('refresh failed', new Error(`bad token ${token}`));
    const leaks = logLeaks();
    suiteLogger.lines.splice(first);
    expect(leaks).toContain(`a secret in log line ${first} (warn)`);
    expect(leaks).toContain(`a token or cookie value in log line ${first + 1} (error)`);
    expect(logLeaks()).toEqual([]);
  });

  it('has no token, secret, cookie value or Redis URL in any captured log line', () => {
    expect(auditedValueCount()).toBeGreaterThan(10);
    expect(logLeaks()).toEqual([]);
  });
});
