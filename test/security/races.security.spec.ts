/**
 * Races over real HTTP against the sample app and a real Redis: concurrent refreshes of one
 * token, refreshes racing the end of their session, and login storms past the session limit.
 * Every scenario runs for several rounds (an interleaving that happens once in a while must
 * still be caught) and the Redis keys are inspected afterwards.
 */
import type { Redis } from 'ioredis';
import request, { type Response } from 'supertest';
import {
  bearer,
  cookieHeader,
  e2eEnv,
  expectError,
  login,
  startApp,
  waitFor,
  type LoggedIn,
  type TestApp,
} from '../support/e2e.js';
import { createTestClient, deleteByPrefix, scanByPrefix } from '../support/redis.js';
import {
  indexKey,
  jtiOf,
  listen,
  me,
  refresh,
  refreshCookie,
  sessionKey,
  userKeyPrefix,
} from '../support/faults.js';

const CONCURRENCY = 50;
const REFRESH_ROUNDS = 15;
const END_ROUNDS = 12; // four rounds for each way of ending a session
const END_RACERS = 10;
const LOGOUT_ALL_ROUNDS = 10;
const LOGOUT_ALL_SESSIONS = 4;
const LOGOUT_ALL_RACERS = 20;
const STORM_ROUNDS = 5;
const STORM_SIZE = 40;
const MAX_SESSIONS = 3;

interface RacingApp {
  t: TestApp;
  url: string;
  prefix: string;
}

let redis: Redis;

beforeAll(() => {
  redis = createTestClient();
});
afterAll(async () => {
  await redis.quit();
});

async function startRacingApp(
  name: string,
  overrides: Record<string, string> = {},
): Promise<RacingApp> {
  const env = e2eEnv(name, overrides);
  const t = await startApp(env);
  return { t, url: await listen(t.app), prefix: env.REDIS_KEY_PREFIX };
}

async function stopRacingApp(app: RacingApp | undefined): Promise<void> {
  if (!app) return;
  await app.t.app.close();
  await deleteByPrefix(redis, app.prefix);
}

/** How many answers had each status, e.g. `{ 200: 1, 401: 49 }`. */
function statusCounts(answers: Response[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const res of answers) counts[res.status] = (counts[res.status] ?? 0) + 1;
  return counts;
}

function accessTokenOf(res: Response): string {
  const { accessToken } = res.body as { accessToken?: unknown };
  if (typeof accessToken !== 'string') throw new Error(`answer ${res.status} has no accessToken`);
  return accessToken;
}

/** Every answer is a 200 or the one 401 of the contract (never a 5xx, never a leaked token). */
function expectOkOrUnauthorized(answers: Response[], tokens: string[]): void {
  for (const res of answers) {
    if (res.status !== 200) expectError(res, 401, 'Unauthorized', tokens);
  }
}

/** Every refresh token is refused and every access token is refused: the session is over. */
async function expectAllDead(url: string, refreshTokens: string[], accessTokens: string[]) {
  const refreshes = await Promise.all(refreshTokens.map((token) => refresh(url, token)));
  const reads = await Promise.all(accessTokens.map((token) => me(url, token)));
  expect(statusCounts(refreshes)).toEqual(
    refreshTokens.length ? { 401: refreshTokens.length } : {},
  );
  expect(statusCounts(reads)).toEqual(accessTokens.length ? { 401: accessTokens.length } : {});
  for (const res of [...refreshes, ...reads]) {
    expectError(res, 401, 'Unauthorized', [...refreshTokens, ...accessTokens]);
  }
}

describe(`${CONCURRENCY} concurrent refreshes of one refresh cookie`, () => {
  describe('without a reuse grace (REUSE_GRACE=0)', () => {
    let app: RacingApp | undefined;
    beforeAll(async () => {
      app = await startRacingApp('races-nograce', { REUSE_GRACE: '0' });
    });
    afterAll(async () => stopRacingApp(app));

    it('lets one racer win and ends the session on the replays, in every round', async () => {
      const { url, prefix } = app!;
      for (let round = 0; round < REFRESH_ROUNDS; round += 1) {
        const s = await login(url, 'alice');
        const answers = await Promise.all(
          Array.from({ length: CONCURRENCY }, () => refresh(url, s.refreshToken)),
        );
        expectOkOrUnauthorized(answers, [s.refreshToken]);
        const won = answers.filter((res) => res.status === 200);
        expect(won.length).toBeLessThanOrEqual(1);

        const { key, member } = sessionKey(prefix, s.sessionId);
        const stored = await redis.hget(key, 'j');
        if (won.length === 1) expect([null, jtiOf(refreshCookie(won[0]!))]).toContain(stored);
        // The first rotation to run wins; each later racer presents the retired jti with no
        // grace, which is reuse: the session ends. So exactly one 200, and nothing left.
        expect(won).toHaveLength(1);
        expect(stored).toBeNull();
        expect(await redis.exists(key)).toBe(0);
        expect(await redis.zscore(indexKey(prefix, 'alice'), member)).toBeNull();
        await expectAllDead(
          url,
          [s.refreshToken, refreshCookie(won[0]!)],
          [s.accessToken, accessTokenOf(won[0]!)],
        );
      }
      expect(await scanByPrefix(redis, prefix)).toEqual([]);
    });
  });

  describe('with a 10 s reuse grace', () => {
    let app: RacingApp | undefined;
    beforeAll(async () => {
      app = await startRacingApp('races-grace', { REUSE_GRACE: '10s' });
    });
    afterAll(async () => stopRacingApp(app));

    it('answers every racer with a token for the one stored jti, which stays the only live one', async () => {
      const { url, prefix } = app!;
      for (let round = 0; round < REFRESH_ROUNDS; round += 1) {
        const s = await login(url, 'alice');
        const answers = await Promise.all(
          Array.from({ length: CONCURRENCY }, () => refresh(url, s.refreshToken)),
        );
        // The first racer rotates; the others present the previous jti inside the window.
        expect(statusCounts(answers)).toEqual({ 200: CONCURRENCY });
        const { key, member } = sessionKey(prefix, s.sessionId);
        const stored = await redis.hget(key, 'j');
        const issued = new Set(answers.map((res) => jtiOf(refreshCookie(res))));
        expect([...issued]).toEqual([stored]);
        for (const res of answers) {
          expect((res.body as { sessionId?: unknown }).sessionId).toBe(s.sessionId);
        }
        expect(await redis.pttl(key)).toBeGreaterThan(0);
        expect(await redis.zscore(indexKey(prefix, 'alice'), member)).not.toBeNull();

        // The issued access tokens work, and the one live refresh token rotates once more.
        expect((await me(url, accessTokenOf(answers[CONCURRENCY - 1]!))).status).toBe(200);
        const next = await refresh(url, refreshCookie(answers[0]!));
        expect(next.status).toBe(200);
        expect(await redis.hget(key, 'j')).toBe(jtiOf(refreshCookie(next)));
      }
      // One session per round, nothing else, and no key without a TTL.
      const keys = await scanByPrefix(redis, prefix);
      expect(keys).toHaveLength(REFRESH_ROUNDS + 1);
      expect(await redis.zcard(indexKey(prefix, 'alice'))).toBe(REFRESH_ROUNDS);
      const ttls = await Promise.all(keys.map((key) => redis.pttl(key)));
      expect(ttls.filter((ttl) => ttl <= 0)).toEqual([]);
    });
  });
});

describe('refreshes racing the end of their session', () => {
  type Ender = 'logout with the access token' | 'logout with the refresh cookie' | 'DELETE';
  const ENDERS: Ender[] = [
    'logout with the access token',
    'logout with the refresh cookie',
    'DELETE',
  ];
  let app: RacingApp | undefined;
  beforeAll(async () => {
    app = await startRacingApp('races-logout'); // default 10 s grace: racers may get tokens
  });
  afterAll(async () => stopRacingApp(app));

  function end(url: string, ender: Ender, s: LoggedIn, other: LoggedIn): request.Test {
    switch (ender) {
      case 'logout with the access token':
        return request(url).post('/auth/logout').set('Authorization', bearer(s.accessToken));
      case 'logout with the refresh cookie':
        return request(url)
          .post('/auth/logout')
          .set('Cookie', cookieHeader({ refresh_token: s.refreshToken }));
      case 'DELETE':
        return request(url)
          .delete(`/auth/sessions/${encodeURIComponent(s.sessionId)}`)
          .set('Authorization', bearer(other.accessToken));
    }
  }

  it('(logout by access token or refresh cookie, DELETE /auth/sessions/:id) leave no session and no usable token', async () => {
    const { url, prefix } = app!;
    for (let round = 0; round < END_ROUNDS; round += 1) {
      const ender = ENDERS[round % ENDERS.length]!;
      const s = await login(url, 'bob');
      const other = await login(url, 'bob');
      const obtained: Response[] = [];
      const race = (): Promise<Response> =>
        refresh(url, s.refreshToken).then((res) => {
          if (res.status === 200) obtained.push(res);
          return res;
        });
      // The end is sent at a different place among the racers in each round.
      const at = round % (END_RACERS + 1);
      const racers: Promise<Response>[] = [];
      let ended: Promise<{ res: Response; after: Response }> | undefined;
      for (let slot = 0; slot <= END_RACERS; slot += 1) {
        if (slot !== at) {
          racers.push(race());
          continue;
        }
        ended = end(url, ender, s, other).then(async (res) => ({
          res,
          // Sent once the end has been answered: it must find no session.
          after: await refresh(url, s.refreshToken),
        }));
      }
      const [answers, { res: endAnswer, after }] = await Promise.all([Promise.all(racers), ended!]);

      expect({ ender, status: endAnswer.status }).toEqual({ ender, status: 204 });
      expectError(after, 401, 'Unauthorized', [s.refreshToken]);
      expectOkOrUnauthorized(answers, [s.refreshToken]);

      const { key, member } = sessionKey(prefix, s.sessionId);
      expect(await redis.exists(key)).toBe(0);
      expect(await redis.zscore(indexKey(prefix, 'bob'), member)).toBeNull();
      await expectAllDead(
        url,
        [s.refreshToken, ...obtained.map(refreshCookie)],
        [s.accessToken, ...obtained.map(accessTokenOf)],
      );

      const otherEnded = await request(url)
        .post('/auth/logout')
        .set('Authorization', bearer(other.accessToken));
      expect(otherEnded.status).toBe(204);
    }
    expect(await scanByPrefix(redis, prefix)).toEqual([]);
  });
});

describe('refreshes on every session of a user racing logout-all', () => {
  let app: RacingApp | undefined;
  beforeAll(async () => {
    app = await startRacingApp('races-logout-all');
  });
  afterAll(async () => stopRacingApp(app));

  it('no refresh succeeds once logout-all has answered, and nothing of the user is left in Redis', async () => {
    const { url, prefix } = app!;
    for (let round = 0; round < LOGOUT_ALL_ROUNDS; round += 1) {
      const sessions = await Promise.all(
        Array.from({ length: LOGOUT_ALL_SESSIONS }, () => login(url, 'admin')),
      );
      const refreshTokens = new Set(sessions.map((s) => s.refreshToken));
      const accessTokens = sessions.map((s) => s.accessToken);
      const race = (s: LoggedIn): Promise<Response> =>
        refresh(url, s.refreshToken).then((res) => {
          if (res.status === 200) {
            refreshTokens.add(refreshCookie(res));
            accessTokens.push(accessTokenOf(res));
          }
          return res;
        });
      // Logout-all is sent at a different place among the racers in each round.
      const at = (round * 2) % (LOGOUT_ALL_RACERS + 1);
      const racers: Promise<Response>[] = [];
      let loggedOut: Promise<{ res: Response; known: string[]; after: Response[] }> | undefined;
      for (let slot = 0; slot <= LOGOUT_ALL_RACERS; slot += 1) {
        if (slot !== at) {
          racers.push(race(sessions[slot % sessions.length]!));
          continue;
        }
        loggedOut = request(url)
          .post('/auth/logout-all')
          .set('Authorization', bearer(sessions[0]!.accessToken))
          .then(async (res) => {
            // Every refresh token issued so far, presented after logout-all has answered.
            const known = [...refreshTokens];
            return { res, known, after: await Promise.all(known.map((t) => refresh(url, t))) };
          });
      }
      const [answers, { res: answer, known, after }] = await Promise.all([
        Promise.all(racers),
        loggedOut!,
      ]);

      expect(answer.status).toBe(204);
      expect(statusCounts(after)).toEqual({ 401: known.length });
      expectOkOrUnauthorized([...answers, ...after], [...refreshTokens]);
      // Including the tokens of racers that were answered after logout-all.
      await expectAllDead(url, [...refreshTokens], accessTokens);
      expect(await scanByPrefix(redis, userKeyPrefix(prefix, 'admin'))).toEqual([]);
    }
  });
});

describe(`a storm of ${STORM_SIZE} concurrent logins past MAX_SESSIONS_PER_USER=${MAX_SESSIONS}`, () => {
  let app: RacingApp | undefined;
  beforeAll(async () => {
    app = await startRacingApp('races-storm', { MAX_SESSIONS_PER_USER: String(MAX_SESSIONS) });
  });
  afterAll(async () => stopRacingApp(app));

  it('keeps exactly the newest sessions: in the index, in the keys, and for the access tokens', async () => {
    const { url, prefix } = app!;
    const userPrefix = userKeyPrefix(prefix, 'alice');
    // Creation times as the store received them (the evicted sessions leave no trace in Redis).
    const createdAt = new Map<string, number>();
    const monitor = await redis.monitor();
    monitor.on('monitor', (_time: string, args: string[]) => {
      // MONITOR also shows the commands a script runs: the create script's HSET carries `ca`.
      const [command = '', key = '', ...fields] = args;
      const at = fields.indexOf('ca');
      if (command.toUpperCase() === 'HSET' && key.startsWith(userPrefix) && at % 2 === 0) {
        createdAt.set(key.slice(userPrefix.length), Number(fields[at + 1]));
      }
    });
    try {
      let previous: LoggedIn[] = [];
      for (let round = 0; round < STORM_ROUNDS; round += 1) {
        const logins = await Promise.all(
          Array.from({ length: STORM_SIZE }, () => login(url, 'alice')),
        );
        const members = logins.map((s) => sessionKey(prefix, s.sessionId).member);
        await waitFor(
          async () => members.every((m) => createdAt.has(m)),
          (seen) => seen,
          { timeoutMs: 2000, intervalMs: 20, what: 'MONITOR to report every login' },
        );

        const index = await redis.zrange(indexKey(prefix, 'alice'), '0', '-1');
        expect(index).toHaveLength(MAX_SESSIONS);
        expect(await redis.zcard(indexKey(prefix, 'alice'))).toBe(MAX_SESSIONS);
        const sessionKeys = (await scanByPrefix(redis, userPrefix)).filter(
          (key) => !key.endsWith(':index'),
        );
        expect(sessionKeys.sort()).toEqual(index.map((m) => userPrefix + m).sort());

        const answers = await Promise.all(logins.map((s) => me(url, s.accessToken)));
        const working = members.filter((_, i) => answers[i]!.status === 200);
        expect(working.sort()).toEqual([...index].sort());
        expectOkOrUnauthorized(
          answers,
          logins.map((s) => s.accessToken),
        );

        // "Newest" is the creation time: no evicted login was created after a surviving one.
        const survivors = working.map((m) => createdAt.get(m)!);
        const evicted = members.filter((m) => !working.includes(m)).map((m) => createdAt.get(m)!);
        expect(evicted).toHaveLength(STORM_SIZE - MAX_SESSIONS);
        expect(Math.max(...evicted)).toBeLessThanOrEqual(Math.min(...survivors));

        // The survivors of the previous storm were older than all of this one.
        await expectAllDead(
          url,
          [],
          previous.map((s) => s.accessToken),
        );
        previous = logins.filter((_, i) => answers[i]!.status === 200);
      }
    } finally {
      monitor.disconnect();
    }
  });
});
